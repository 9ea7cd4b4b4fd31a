"""Plain-code gates between chain steps: each returns None when the output passes, else why not."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from pydantic import BaseModel, ValidationError

Gate: TypeAlias = Callable[[Any], "str | None"]
"""A check on a step's output: None means pass, a string says what failed."""


def max_length(limit: int) -> Gate:
    """Pass when the output's text is at most `limit` characters."""

    def gate(output: Any) -> str | None:
        n = len(_text(output))
        return None if n <= limit else f"output is {n} characters, over max_length={limit}"

    return gate


def min_length(limit: int) -> Gate:
    """Pass when the output's text is at least `limit` characters."""

    def gate(output: Any) -> str | None:
        n = len(_text(output))
        return None if n >= limit else f"output is {n} characters, under min_length={limit}"

    return gate


def matches(pattern: str, flags: int = 0) -> Gate:
    """Pass when the regular expression is found in the output's text."""
    rx = re.compile(pattern, flags)

    def gate(output: Any) -> str | None:
        return None if rx.search(_text(output)) else f"output does not match /{pattern}/"

    return gate


def required_fields(*names: str) -> Gate:
    """Pass when the output (a mapping, a pydantic model or JSON text) has every field set."""

    def gate(output: Any) -> str | None:
        fields = _fields(output)
        if fields is None:
            return "output has no fields (expected an object or JSON object)"
        missing = [n for n in names if fields.get(n) in (None, "", [], {})]
        return None if not missing else f"missing required field(s): {', '.join(missing)}"

    return gate


def conforms(model: type[BaseModel]) -> Gate:
    """Pass when the output validates against a pydantic model."""

    def gate(output: Any) -> str | None:
        try:
            if isinstance(output, str):
                model.model_validate_json(output)
            else:
                model.model_validate(output, from_attributes=True)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()
            )
            return f"output does not match {model.__name__}: {problems}"
        return None

    return gate


def _text(output: Any) -> str:
    if isinstance(output, BaseModel):
        return output.model_dump_json()
    return str(output)


def _fields(output: Any) -> Mapping[str, Any] | None:
    if isinstance(output, BaseModel):
        return output.model_dump()
    if isinstance(output, Mapping):
        return output
    if isinstance(output, str):
        try:
            loaded = json.loads(output)
        except ValueError:
            return None
        return loaded if isinstance(loaded, dict) else None
    return None
