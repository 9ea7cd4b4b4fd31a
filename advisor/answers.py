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
    model_validator,
)

from runtime.plan import PatternId

from .answer_names import MAX_ENTRY_CHARS, check_names, check_project_name
from .errors import UserError
from .task_model import (
    Difficulty,
    Named,
    ParallelStage,
    StepEntry,
    StepSpec,
    as_named,
    as_spec,
    flat_specs,
)
from .task_rules import coerce_steps, contradiction
from .userfiles import ANSWERS_NODES, brief, clip, is_stdin, read_document, shown

Flow = Literal["known", "depends-on-input", "unknown"]

MAX_NAME_CHARS = 64
"""Longest project name (it becomes the package, distribution and folder names)."""
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
_STDIN_FIX = (
    "pipe them in (`... --answers - < answers.yaml`; YAML or JSON, at least `name: desk`), "
    "or pass --answers FILE"
)


class Answers(BaseModel):
    """What the user told the advisor about the task; every field but `name` has a default."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    schema_version: Literal[1, 2] = Field(default=1, alias="schema")
    """Format version of the answers file (2 allows step mappings, stages, roles, tiers...)."""
    name: str = Field(max_length=MAX_NAME_CHARS)
    """Project name; the package name is derived from it."""
    task: str = Field(default="", max_length=MAX_TEXT_CHARS)
    """What the system does, in the user's words (shown in the generated README)."""
    flow: Flow = "known"
    """Can a person draw the process flow before the system runs? known / depends-on-input /
    unknown."""
    steps: list[StepEntry] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """Ordered steps when the flow is known: names, step mappings or parallel stages."""
    categories: list[str] | dict[str, list[str | StepSpec]] = Field(
        default_factory=list, max_length=MAX_ENTRIES
    )
    """Input kinds needing different handling (>= 2: routing; worker types when the flow
    depends on the input); a mapping gives each kind its own pipeline."""
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
    difficulty: Difficulty | None = None
    """Two tiers with a model each, decided by one classify call (v2 form of mixed_difficulty)."""
    guardrails: list[str | Named] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """Checks that run beside the `guard` step and can veto its output."""
    guard: str | None = Field(default=None, max_length=MAX_ENTRY_CHARS)
    """The step the guardrails run beside (default: the first step)."""
    vote: str | None = Field(default=None, max_length=MAX_ENTRY_CHARS)
    """The step that is voted on (default: the only step, else the classify step)."""
    refinement: bool = False
    """Output improves through critique and revision."""
    refine: str | None = Field(default=None, max_length=MAX_ENTRY_CHARS)
    """The step the evaluator loop wraps (default: the last generate step)."""
    criteria: list[str | Named] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """What an evaluator checks, by a model (default) or by code; refinement needs one."""
    tools: list[str] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """Tools the system may call."""
    approval: list[str] = Field(default_factory=list, max_length=MAX_ENTRIES)
    """Tools that need a person's yes before they run."""
    dependencies: bool = False
    """Planned subtasks may need each other's results (`flow: depends-on-input`): the plan
    names each subtask's dependencies and the subtasks run in waves, dependencies first."""
    conversation: bool = False
    """Multi-turn: the project gets `chat`, one turn of the workflow per message in a stored
    session (state, rolling summary, recent turns)."""
    summarize_after: int | None = Field(default=None, ge=1, le=10_000)
    """With `conversation`: fold the turns so far into the session's summary every N turns."""
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
        return check_project_name(value)

    @property
    def step_specs(self) -> list[StepSpec]:
        """Every top-level step as a step mapping, parallel stages opened up."""
        return flat_specs(self.steps)

    @property
    def step_names(self) -> list[str]:
        """Every top-level step's name, in order."""
        return [s.name for s in self.step_specs]

    @property
    def category_names(self) -> list[str]:
        """The kinds of input, whether listed or mapped to pipelines."""
        return list(self.categories)

    @property
    def category_pipelines(self) -> dict[str, list[StepSpec]]:
        """Each category's own pipeline (empty when categories is a plain list)."""
        if isinstance(self.categories, list):
            return {}
        return {k: [as_spec(e) for e in v] for k, v in self.categories.items()}

    @property
    def criteria_specs(self) -> list[Named]:
        """Every criterion with how it is checked."""
        return [as_named(c) for c in self.criteria]

    @property
    def criteria_names(self) -> list[str]:
        """Every criterion in the user's words."""
        return [c.name for c in self.criteria_specs]

    @property
    def guardrail_specs(self) -> list[Named]:
        """Every guardrail with how it is checked."""
        return [as_named(g) for g in self.guardrails]

    @field_validator("steps", mode="before")
    @classmethod
    def _steps_ok(cls, values: Any) -> Any:
        if not isinstance(values, list):
            return values
        entries = coerce_steps(values, where="steps")
        check_names([s.name for s in flat_specs(entries)], MAX_ENTRY_CHARS)
        return entries

    @field_validator("categories", mode="before")
    @classmethod
    def _categories_ok(cls, values: Any) -> Any:
        if isinstance(values, dict):
            check_names([str(k) for k in values], MAX_ENTRY_CHARS)
            out: dict[str, list[str | StepSpec]] = {}
            for key, pipeline in values.items():
                where = f"categories.{clip(str(key), 30)}"
                if not isinstance(pipeline, list) or not pipeline:
                    raise ValueError(
                        f"{where}: give the category's steps as a list, e.g. "
                        f"`{clip(str(key), 30)}: [lookup, draft_reply]`"
                    )
                entries = coerce_steps(pipeline, where=where, stages=False)
                specs = [e for e in entries if not isinstance(e, ParallelStage)]
                check_names([as_spec(e).name for e in specs], MAX_ENTRY_CHARS)
                out[str(key).strip()] = specs
            return out
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return check_names(values, MAX_ENTRY_CHARS)
        return values

    @field_validator("criteria", "guardrails", mode="before")
    @classmethod
    def _named_ok(cls, values: Any, info: ValidationInfo) -> Any:
        if not isinstance(values, list):
            return values
        limit = MAX_TEXT_CHARS if info.field_name == "criteria" else MAX_ENTRY_CHARS
        names = [
            v if isinstance(v, str) else v.get("name") if isinstance(v, dict) else None
            for v in values
        ]
        in_paths = info.field_name == "guardrails"  # a guardrail is a step; criteria are text
        check_names([n for n in names if isinstance(n, str)], limit, in_paths=in_paths)
        return [v.strip() if isinstance(v, str) else v for v in values]

    @field_validator("independent_subtasks", "tools", "approval")
    @classmethod
    def _names_ok(cls, values: list[str], info: ValidationInfo) -> list[str]:
        return check_names(values, MAX_ENTRY_CHARS)

    @field_validator("guard", "vote", "refine")
    @classmethod
    def _one_name_ok(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("give a step name, or leave it out")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> Answers:
        problem = contradiction(self)
        if problem:
            raise ValueError(problem)
        return self

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
    return parse_answers(data, source=shown(path))


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
    """The mapping in an answers file, or piped into stdin when the path is `-`."""
    source = shown(path)
    data = read_document(
        path, what="answers", fix=_FIX, stdin_fix=_STDIN_FIX, max_nodes=ANSWERS_NODES
    )
    if data is None:
        what = "only comments were piped in" if is_stdin(path) else "the file is empty"
        raise UserError(f"{source}: {what}; it needs at least `name: my-project`")
    if not isinstance(data, dict):
        got = type(data).__name__
        raise UserError(
            f"{source}: expected a mapping of answers (key: value), got a {got}; "
            "the format is in docs/answers.md"
        )
    return data


def _unknown_key_message(key: str) -> str:
    close = difflib.get_close_matches(key, FIELDS, n=1)
    hint = f"did you mean `{close[0]}`?" if close else "valid keys: " + ", ".join(FIELDS)
    return f"unknown key `{clip(key, 30)}` ({hint})"


def _first_error(err: ValidationError) -> str:
    first = _most_relevant(err.errors())
    loc = ".".join(clip(str(part), 30) for part in _user_loc(first["loc"])) or "answers"
    kind = first["type"]
    got = brief(first["input"])
    ctx = first.get("ctx", {})
    if kind == "missing":
        example = _EXAMPLE.get(loc)
        return f"`{loc}` is required" + (f", e.g. `{loc}: {example}`" if example else "")
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
    if kind == "value_error" and loc == "answers":  # a contradiction between answers
        return str(first["msg"]).removeprefix("Value error, ")
    if kind == "value_error":  # our validators name the entry themselves
        return f"`{loc}`: {str(first['msg']).removeprefix('Value error, ')}"
    return f"`{loc}`: {first['msg']} (got {got})"


def _most_relevant(errors: list[Any]) -> Any:
    """The error to show: for a mapping given where a name or a mapping would do
    (`guardrails: [{name: x, by: cod}]`), the mapping branch's error, not "not a string"."""
    first = errors[0]
    if isinstance(first["input"], dict) and first["type"] in _BRANCH_MISMATCH:
        for other in errors[1:]:
            if other["type"] not in _BRANCH_MISMATCH:
                return other
    return first


def _user_loc(loc: tuple[int | str, ...]) -> list[int | str]:
    """The error's location as the file spells it: without pydantic's union member tags."""
    return [part for part in loc if not (isinstance(part, str) and _is_union_tag(part))]


def _is_union_tag(part: str) -> bool:
    return part in _UNION_TAGS or "[" in part


_BRANCH_MISMATCH = {"string_type", "list_type", "dict_type", "model_type"}
_UNION_TAGS = {"str", "Named", "StepSpec"}
_EXAMPLE = {
    "name": "support-desk",
    "task": "answer support emails",
    "difficulty.easy": "openai/gpt-4o-mini",
    "difficulty.hard": "openai/gpt-4o",
}
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
