"""A reply checked against the response model: parsed, or an error saying what is wrong."""

from __future__ import annotations

import re

from pydantic import BaseModel, ValidationError

from .errors import OutputValidationError

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
        if 0 <= start < end and (start, end) != (0, len(body) - 1):
            try:
                return model.model_validate_json(body[start : end + 1])
            except ValidationError:
                pass
        raise OutputValidationError(step, text, _summarize(err)) from err


def _summarize(err: ValidationError) -> str:
    parts = []
    for e in err.errors(include_url=False)[:8]:
        where = ".".join(str(p) for p in e["loc"]) or "(root)"
        if e["type"] == "json_invalid":
            parts.append(f"not valid JSON ({e['msg']})")
        else:
            parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)
