"""`--data KEY=VALUE`: answers given on the command line, parsed as YAML scalars or lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from .answers import FIELDS, Answers
from .errors import UserError

MAX_VALUE_CHARS = 10_000
"""Longer values are refused before YAML sees them (a flag is not a file)."""


def parse_data(items: Sequence[str]) -> dict[str, Any]:
    """`["steps=[a, b]", "name=desk"]` -> `{"steps": ["a", "b"], "name": "desk"}`.

    Keys are checked against the answers format here, so a typo is named before anything runs;
    the values are validated with the rest of the answers.
    """
    data: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(
                f"--data {item!r}: write KEY=VALUE, e.g. --data name=support-desk or "
                "--data 'steps=[draft, review]'"
            )
        if key not in FIELDS:
            raise UserError(f"--data {key}: {_unknown(key)}")
        if key in data:
            raise UserError(f"--data {key} is given twice; give each answer once")
        data[key] = _value(key, raw)
    return data


def _value(key: str, raw: str) -> Any:
    if len(raw) > MAX_VALUE_CHARS:
        raise UserError(f"--data {key}: the value is longer than {MAX_VALUE_CHARS} characters")
    kind = _kind(key)
    if kind is str or not raw.strip():
        return raw.strip()  # text stays text: `name=no` is the word, not false
    try:
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(raw, Loader=yaml.SafeLoader)):
            raise UserError(f"--data {key}: YAML aliases (*name) are not allowed here")
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        raise UserError(
            f"--data {key}: {raw!r} is not a YAML value; write a list as [a, b] or a, b"
        ) from None
    if kind is list and isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _kind(key: str) -> type | None:
    """`str`, `list` or None (anything else) for an answers key."""
    name = next((n for n, f in Answers.model_fields.items() if (f.alias or n) == key), key)
    annotation = Answers.model_fields[name].annotation
    if annotation is str:
        return str
    return list if getattr(annotation, "__origin__", None) is list else None


def _unknown(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, FIELDS, n=1)
    hint = f"did you mean `{close[0]}`?" if close else "valid keys: " + ", ".join(FIELDS)
    return f"unknown key `{key}` ({hint}); the answers format is in docs/answers.md"
