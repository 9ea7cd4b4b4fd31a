"""A reply checked against the response model: parsed, or an error saying what is wrong."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import OutputValidationError

_FENCE = re.compile(r"```(?:json)?\s*\n?(.*?)\n?```", re.DOTALL)


def validate_reply(step: str, model: type[BaseModel], text: str) -> BaseModel:
    """The reply parsed into the response model, or OutputValidationError saying what is wrong.

    A JSON object wrapped in a code fence or in a sentence (small models do that) is read too.
    """
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    try:
        return model.model_validate_json(body)
    except ValidationError as err:
        start, end = body.find("{"), body.rfind("}")
        try:
            data = json.loads(body[start : end + 1]) if 0 <= start < end else None
            schema = model.model_json_schema()
            return model.model_validate(match_enums(data, schema, schema.get("$defs", {})))
        except (ValueError, ValidationError):
            pass
        raise OutputValidationError(step, text, _summarize(err)) from err


def label_key(text: str) -> str:
    """A label as compared: case, spaces, hyphens and underscores do not count."""
    return re.sub(r"[\s_\-]+", "", text).casefold()


def match_enums(data: Any, schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    """`data` with every string that names an enum member loosely ("Billing ") made exact."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = defs.get(ref.rsplit("/", 1)[1], {})
    options = schema.get("enum") or ([schema["const"]] if "const" in schema else None)
    if isinstance(data, str) and options:
        found = [o for o in options if isinstance(o, str) and label_key(o) == label_key(data)]
        return found[0] if len(found) == 1 else data
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            data = match_enums(data, sub, defs)
    if isinstance(data, dict):
        props = schema.get("properties", {})
        return {k: match_enums(v, props.get(k, {}), defs) for k, v in data.items()}
    if isinstance(data, list):
        items = schema.get("items", {})
        return [match_enums(v, items, defs) for v in data]
    return data


def _summarize(err: ValidationError) -> str:
    parts = []
    for e in err.errors(include_url=False)[:8]:
        where = ".".join(str(p) for p in e["loc"]) or "(root)"
        if e["type"] == "json_invalid":
            parts.append(f"not valid JSON ({e['msg']})")
        else:
            parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)
