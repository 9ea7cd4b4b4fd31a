"""The answers a diagnosis starts from (CONTRACTS §1), and reading them from a YAML/JSON file."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from runtime.plan import PatternId

from .errors import UserError

Flow = Literal["known", "depends-on-input", "unknown"]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.-]*$")


class Answers(BaseModel):
    """What the user told the advisor about the task; every field but `name` has a default."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_version: Literal[1] = Field(default=1, alias="schema")
    """Format version of the answers file."""
    name: str
    """Project name; the package name is derived from it."""
    task: str = ""
    """What the system does, in the user's words (shown in the generated README)."""
    flow: Flow = "known"
    """Can a person draw the process flow before the system runs? known / depends-on-input /
    unknown."""
    steps: list[str] = Field(default_factory=list)
    """Ordered steps when the flow is known; one step is a single call."""
    categories: list[str] = Field(default_factory=list)
    """Input kinds needing different handling (>= 2: routing; worker types when the flow
    depends on the input)."""
    independent_subtasks: list[str] = Field(default_factory=list)
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
    criteria: list[str] = Field(default_factory=list)
    """What an evaluator checks; refinement needs at least one."""
    tools: list[str] = Field(default_factory=list)
    """Tools the system may call."""
    volume_per_day: int | None = Field(default=None, ge=0)
    """Requests per day, for projections."""
    latency_sensitive: bool = False
    """A person waits for the answer: sequential calls matter."""
    budget_usd_per_request: float | None = Field(default=None, gt=0)
    """Hard dollar cap per request, written into the generated project."""
    models: dict[str, str] = Field(default_factory=dict)
    """Model per step, per step kind, or `default` for the rest."""
    api_base: str | None = None
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
    def _names_ok(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values]
        if any(not v for v in cleaned):
            raise ValueError("entries must not be empty")
        seen: set[str] = set()
        for v in cleaned:
            if v.lower() in seen:
                raise ValueError(f"{v!r} appears twice; entries must be unique")
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
    if not path.is_file():
        raise UserError(
            f"answers file not found: {path}; pass an existing YAML or JSON file "
            "(see examples/ for one per pattern)"
        )
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise UserError(f"{path}: not valid {kind} ({_where(err)}); fix the syntax") from None
    if data is None:
        raise UserError(f"{path}: the file is empty; it needs at least `name: my-project`")
    if not isinstance(data, dict):
        got = type(data).__name__
        raise UserError(
            f"{path}: expected a mapping of answers (key: value), got a {got}; "
            "see examples/ for the layout"
        )
    return data


def _where(err: yaml.YAMLError | json.JSONDecodeError) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"line {err.lineno}: {err.msg}"
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or "syntax error"
    return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)


def _unknown_key_message(key: str) -> str:
    close = difflib.get_close_matches(key, FIELDS, n=1)
    hint = f"did you mean `{close[0]}`?" if close else "valid keys: " + ", ".join(FIELDS)
    return f"unknown key `{key}` ({hint})"


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(part) for part in first["loc"]) or "answers"
    kind = first["type"]
    if kind == "missing":
        return f"`{loc}` is required, e.g. `{loc}: support-desk`"
    if kind == "literal_error":
        allowed = first.get("ctx", {}).get("expected", "")
        return f"`{loc}`: {first['input']!r} is not allowed; use one of {allowed}"
    if kind == "list_type":
        return f"`{loc}`: expected a list, e.g. `{loc}: [first, second]`"
    msg = str(first["msg"]).removeprefix("Value error, ")
    return f"`{loc}`: {msg} (got {first['input']!r})"
