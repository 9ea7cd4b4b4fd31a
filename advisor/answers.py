"""The answers a diagnosis starts from (CONTRACTS §1), and reading them from a YAML/JSON file."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from runtime.plan import PatternId

from .errors import UserError
from .userfiles import ANSWERS_NODES, brief, clip, parse, read_text

Flow = Literal["known", "depends-on-input", "unknown"]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.-]*$")

MAX_NAME_CHARS = 64
"""Longest project name (it becomes the package, distribution and folder names)."""
MAX_ENTRY_CHARS = 80
"""Longest step, category, subtask or tool name (each becomes identifiers and file names)."""
MAX_TEXT_CHARS = 2000
"""Longest free text: the task, one criterion, one model string."""
MAX_ENTRIES = 50
"""Most entries in one list (each entry is a step, a prompt file and a test of its own)."""
MAX_BUDGET_USD = 10_000.0
"""Highest per-request dollar cap (above it the cap bounds nothing)."""
MAX_VOLUME = 10**12
"""Highest requests per day accepted."""
_FIX = "pass an existing YAML or JSON file (the format is in docs/answers.md)"


class Answers(BaseModel):
    """What the user told the advisor about the task; every field but `name` has a default."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    schema_version: Literal[1] = Field(default=1, alias="schema")
    """Format version of the answers file."""
    name: str = Field(max_length=MAX_NAME_CHARS)
    """Project name; the package name is derived from it."""
    task: str = Field(default="", max_length=MAX_TEXT_CHARS)
    """What the system does, in the user's words (shown in the generated README)."""
    flow: Flow = "known"
    """Can a person draw the process flow before the system runs? known / depends-on-input /
    unknown."""
    steps: list[str] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """Ordered steps when the flow is known; one step is a single call."""
    categories: list[str] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """Input kinds needing different handling (>= 2: routing; worker types when the flow
    depends on the input)."""
    independent_subtasks: list[str] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """Subtasks that need none of each other's results (>= 2: parallel sectioning)."""
    merge: Literal["model", "code"] = "model"
    """How parallel subtasks are joined: by a model call, or by plain code (no extra call)."""
    needs_confidence: bool = False
    """Run the same task several times and vote."""
    errors_are_random: bool = True
    """The model is sometimes right, sometimes wrong on the same input (voting only helps then)."""
    mixed_difficulty: bool = False
    """Many easy inputs and some hard ones, and cost matters: route by difficulty."""
    refinement: bool = False
    """Output improves through critique and revision."""
    criteria: list[str] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """What an evaluator checks; refinement needs at least one."""
    tools: list[str] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """Tools the system may call."""
    volume_per_day: int | None = Field(default=None, ge=0, le=MAX_VOLUME)
    """Requests per day, for projections."""
    latency_sensitive: bool = False
    """A person waits for the answer: sequential calls matter."""
    budget_usd_per_request: float | None = Field(default=None, gt=0, le=MAX_BUDGET_USD)
    """Hard dollar cap per request, written into the generated project."""
    models: dict[str, str] = Field(default_factory=dict, max_length=MAX_ENTRIES)
    """Model per step, per step kind, or `default` for the rest."""
    api_base: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    """An OpenAI-compatible server's URL every call goes to (llama.cpp, vLLM, a gateway)."""
    override: PatternId | None = None
    """A pattern the user picked instead of the recommendation (the interview records it)."""

    @field_validator("name")
    @classmethod
    def _name_ok(cls, value: str) -> str:
        value = value.strip()
        if not _NAME_RE.match(value):
            raise ValueError(
                "must start with a letter and hold only letters, digits, spaces, '-', '_' or '.'"
                " (e.g. support-desk)"
            )
        return value

    @field_validator("steps", "categories", "independent_subtasks", "criteria", "tools")
    @classmethod
    def _names_ok(cls, values: list[str], info: ValidationInfo) -> list[str]:
        cleaned = [v.strip() for v in values]
        if any(not v for v in cleaned):
            raise ValueError("entries must not be empty")
        limit = MAX_TEXT_CHARS if info.field_name == "criteria" else MAX_ENTRY_CHARS
        for v in cleaned:
            if len(v) > limit:
                raise ValueError(
                    f"{brief(v, 24)} has {len(v):,} characters; keep each entry to {limit} "
                    "at most (say more in `task`)"
                    if limit == MAX_ENTRY_CHARS
                    else f"{brief(v, 24)} has {len(v):,} characters; keep each to {limit:,}"
                )
        seen: set[str] = set()
        for v in cleaned:
            if v.lower() in seen:
                raise ValueError(f"{brief(v)} appears twice; entries must be unique")
            seen.add(v.lower())
        return cleaned

    @field_validator("api_base")
    @classmethod
    def _api_base_ok(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+\S*$", value.strip()):
            raise ValueError("give the server's URL, e.g. http://localhost:8080/v1")
        return value.strip() if value is not None else None

    @field_validator("models")
    @classmethod
    def _models_ok(cls, values: dict[str, str]) -> dict[str, str]:
        for key, model in values.items():
            if len(key) > MAX_ENTRY_CHARS or len(model) > MAX_TEXT_CHARS:
                raise ValueError(
                    f"`{brief(key, 24)}`: too long; a step name and a model string are short"
                )
            if not model.strip():
                raise ValueError(f"{key}: give a litellm model string, e.g. openai/gpt-4o-mini")
        return {k.strip(): m.strip() for k, m in values.items()}


FIELDS: tuple[str, ...] = tuple((info.alias or name) for name, info in Answers.model_fields.items())
"""Every key an answers file may hold."""


def load_answers(path: Path) -> Answers:
    """Read and validate an answers file; every problem is a one-line `UserError`."""
    data = _read_mapping(path)
    return parse_answers(data, source=str(path))


def parse_answers(data: dict[str, Any], *, source: str = "answers") -> Answers:
    """Validate answers given as a mapping; every problem is a one-line `UserError`."""
    unknown = [key for key in data if key not in FIELDS]
    if unknown:
        raise UserError(f"{source}: {_unknown_key_message(str(unknown[0]))}")
    try:
        return Answers.model_validate(data)
    except ValidationError as err:
        raise UserError(f"{source}: {_first_error(err)}") from None


def _read_mapping(path: Path) -> dict[str, Any]:
    text = read_text(path, what="answers file", fix=_FIX)
    as_json = path.suffix.lower() == ".json"
    data = parse(text, source=str(path), as_json=as_json, max_nodes=ANSWERS_NODES)
    if data is None:
        raise UserError(f"{path}: the file is empty; it needs at least `name: my-project`")
    if not isinstance(data, dict):
        got = type(data).__name__
        raise UserError(
            f"{path}: expected a mapping of answers (key: value), got a {got}; "
            "the format is in docs/answers.md"
        )
    return data


def _unknown_key_message(key: str) -> str:
    close = difflib.get_close_matches(key, FIELDS, n=1)
    hint = f"did you mean `{close[0]}`?" if close else "valid keys: " + ", ".join(FIELDS)
    return f"unknown key `{clip(key, 30)}` ({hint})"


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(clip(str(part), 30) for part in first["loc"]) or "answers"
    kind = first["type"]
    got = brief(first["input"])
    ctx = first.get("ctx", {})
    if kind == "missing":
        return f"`{loc}` is required, e.g. `{loc}: support-desk`"
    if kind == "literal_error":
        return f"`{loc}`: {got} is not allowed; use one of {ctx.get('expected', '')}"
    if kind == "list_type":
        return f"`{loc}`: expected a list, e.g. `{loc}: [first, second]`"
    if kind == "string_too_long":
        return (
            f"`{loc}`: {len(first['input']):,} characters is too long; keep it to "
            f"{ctx.get('max_length')} (e.g. `{loc}: {_EXAMPLE.get(loc, 'support-desk')}`)"
        )
    if kind == "too_long":
        return f"`{loc}`: too many entries; list at most {ctx.get('max_length')}"
    if kind in _NUMBER_ERRORS and loc in _NUMBER_HINT:
        return f"`{loc}`: {_NUMBER_ERRORS[kind]} (got {got}); {_NUMBER_HINT[loc]}"
    if kind == "value_error":  # our validators name the entry themselves
        return f"`{loc}`: {str(first['msg']).removeprefix('Value error, ')}"
    return f"`{loc}`: {first['msg']} (got {got})"


_EXAMPLE = {"task": "answer support emails"}
_NUMBER_ERRORS = {
    "finite_number": "must be a finite number",
    "greater_than": "must be more than 0",
    "greater_than_equal": "must not be negative",
    "less_than_equal": "is too large",
}
_NUMBER_HINT = {
    "budget_usd_per_request": (
        f"give dollars per request between 0 and {MAX_BUDGET_USD:,.0f}, e.g. 0.05, "
        "or leave it out for no cap"
    ),
    "volume_per_day": "give requests per day as a whole number, e.g. 5000",
}
