"""Schema-valid fake values and plausible text, for the simulated model."""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Mapping
from typing import Any

from ..subtask_fields import DEPENDS_FIELD, ID_FIELD

_WORD_TEXT = (
    "the a system request customer report result model step review data answer team "
    "update account issue plan change quality value process service order support policy "
    "summary detail option risk cost time source draft check clear simple useful final "
    "first next each every current important expected reliable better new open main "
    "include provide explain confirm improve compare follow resolve describe suggest note "
    "and with for from about after before while because since within across through into"
)
WORDS = tuple(_WORD_TEXT.split())

Schema = Mapping[str, Any]


def sentence(rng: random.Random) -> str:
    """One plausible-looking sentence."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    return " ".join(words).capitalize() + "."


def _resolve(schema: Schema, defs: Schema) -> Schema:
    while "$ref" in schema:
        schema = defs[str(schema["$ref"]).rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        return {**_resolve(schema["allOf"][0], defs), **merged}
    return schema


def fake_value(
    schema: Schema, rng: random.Random, defs: Schema | None = None, depth: int = 0
) -> Any:
    """A value valid for a JSON schema (as pydantic writes them: $defs, anyOf, enums, bounds)."""
    defs = schema.get("$defs", defs or {})
    schema = _resolve(schema, defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(list(schema["enum"]))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, defs).get("type") != "null"]
            # Optional fields are mostly filled, sometimes None, like real replies.
            if not options or (len(options) < len(schema[key]) and rng.random() < 0.25):
                return None
            return fake_value(rng.choice(options), rng, defs, depth + 1)
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = rng.choice([k for k in kind if k != "null"] or ["null"])
    maker = _MAKERS.get(str(kind), _string)
    return maker(schema, rng, defs, depth)


def _string(schema: Schema, rng: random.Random, defs: Schema, depth: int) -> Any:
    fmt = schema.get("format")
    if fmt in _FORMATS:
        return _FORMATS[fmt](rng)
    lo = int(schema.get("minLength", 1))
    hi = int(schema.get("maxLength", max(lo, 60)))
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
    if len(text) < lo:
        text = (text + " " + "".join(rng.choices(string.ascii_lowercase, k=lo))).strip()
    return text[:hi].rstrip() if len(text[:hi].rstrip()) >= lo else text[:hi]


def _integer(schema: Schema, rng: random.Random, defs: Schema, depth: int) -> Any:
    lo = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
    hi = schema.get("maximum", schema.get("exclusiveMaximum", lo + 101) - 1)
    lo, hi = int(lo), int(hi)
    value = rng.randint(min(lo, hi), max(lo, hi))
    step = schema.get("multipleOf")
    if step:
        value = (value // int(step)) * int(step)
        value = value if value >= lo else value + int(step)
    return value


def _number(schema: Schema, rng: random.Random, defs: Schema, depth: int) -> Any:
    lo = float(schema.get("minimum", schema.get("exclusiveMinimum", 0.0)))
    hi = float(schema.get("maximum", schema.get("exclusiveMaximum", lo + 100.0)))
    value = round(rng.uniform(lo, hi), 3)
    # Stay strictly inside exclusive bounds after rounding.
    return min(
        max(value, lo + 1e-3 if "exclusiveMinimum" in schema else lo),
        hi - 1e-3 if "exclusiveMaximum" in schema else hi,
    )


def _boolean(schema: Schema, rng: random.Random, defs: Schema, depth: int) -> Any:
    return rng.random() < 0.5


def _null(schema: Schema, rng: random.Random, defs: Schema, depth: int) -> Any:
    return None


def _array(schema: Schema, rng: random.Random, defs: Schema, depth: int) -> Any:
    if "prefixItems" in schema:
        return [fake_value(s, rng, defs, depth + 1) for s in schema["prefixItems"]]
    lo = int(schema.get("minItems", 0 if depth > 2 else 1))
    hi = int(schema.get("maxItems", max(lo, 3 if depth <= 2 else lo)))
    items = schema.get("items", {})
    out: list[Any] = []
    for _ in range(rng.randint(lo, max(lo, hi)) * 3):  # extra tries for uniqueItems
        if len(out) >= max(lo, min(hi, rng.randint(lo, hi))):
            break
        value = fake_value(items, rng, defs, depth + 1)
        if not schema.get("uniqueItems") or value not in out:
            out.append(value)
    if _is_planned(_resolve(items, defs), defs):
        return _dag(out, items, schema, rng, defs, depth)
    return out


def _is_planned(item: Schema, defs: Schema) -> bool:
    """Items with a string `id` and a `depends_on` list: subtasks of a plan (`runtime/dag.py`)."""
    props: Mapping[str, Schema] = item.get("properties", {})
    ident, deps = props.get(ID_FIELD), props.get(DEPENDS_FIELD)
    if ident is None or deps is None:
        return False
    return _resolve(ident, defs).get("type") == "string" and "array" in str(deps)


def _dag(
    out: list[Any], items: Schema, schema: Schema, rng: random.Random, defs: Schema, depth: int
) -> list[Any]:
    """A planner's plan: 3 to 5 subtasks (within the list's bounds) in 2 or 3 waves, each
    subtask after the first wave depending on one or two of the wave before it."""
    hi = int(schema.get("maxItems", 5))
    want = max(int(schema.get("minItems", 0)), min(hi, rng.randint(3, 5)))
    while len(out) < want:
        out.append(fake_value(items, rng, defs, depth + 1))
    out = out[: max(want, 1)]
    n = len(out)
    waves = 1 if n == 1 else 2 if n <= 3 else 3
    wave_of = [min(waves - 1, i * waves // n) for i in range(n)]
    for i, sub in enumerate(out):
        sub[ID_FIELD] = f"s{i + 1}"
        earlier = [f"s{j + 1}" for j in range(n) if wave_of[j] == wave_of[i] - 1]
        picked = rng.sample(earlier, min(len(earlier), rng.randint(1, 2))) if earlier else []
        sub[DEPENDS_FIELD] = sorted(picked)
    return out


def _object(schema: Schema, rng: random.Random, defs: Schema, depth: int) -> Any:
    props: Mapping[str, Schema] = schema.get("properties", {})
    required = set(schema.get("required", []))
    out: dict[str, Any] = {}
    for name, sub in props.items():
        # Regex-constrained strings are not generated: optional ones keep their default.
        if name not in required and "pattern" in _resolve(sub, defs):
            continue
        if name in required or rng.random() < 0.7:
            out[name] = fake_value(sub, rng, defs, depth + 1)
    extra = schema.get("additionalProperties")
    if not props and isinstance(extra, Mapping) and depth <= 2:
        for i in range(rng.randint(1, 2)):
            out[f"{rng.choice(WORDS)}_{i}"] = fake_value(extra, rng, defs, depth + 1)
    return out


_MAKERS = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
    "array": _array,
    "object": _object,
}

_FORMATS = {
    "date-time": lambda r: f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T12:00:00Z",
    "date": lambda r: f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "time": lambda r: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00",
    "email": lambda r: f"{r.choice(WORDS)}@example.com",
    "uri": lambda r: f"https://example.com/{r.choice(WORDS)}",
    "uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)),
}
