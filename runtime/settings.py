"""The generated project's settings file: models per step, budgets, caps and the plan.

One file a user edits without touching code; the workflow, the CLI and `estimate` all read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator

from .errors import SettingsError
from .params import with_defaults
from .plan import Node


class PriceOverride(BaseModel):
    """A user-given price for a model the bundled price map does not know (or prices wrongly)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    input_per_mtok: float = Field(ge=0)
    """US dollars per million prompt tokens."""
    output_per_mtok: float = Field(ge=0)
    """US dollars per million completion tokens (reasoning tokens are billed as output)."""


class ModelChoice(BaseModel):
    """Which model each step calls."""

    model_config = ConfigDict(extra="forbid")

    default: str = "openai/gpt-4o-mini"
    """litellm model string used by every step without its own entry."""
    steps: dict[str, str] = Field(default_factory=dict)
    """Per-step overrides, keyed by step name (small models for classify/validate steps)."""
    api_base: str | None = None
    """An OpenAI-compatible endpoint to send every call to, if not the provider's own."""

    def for_step(self, step: str) -> str:
        """The model a step calls."""
        return self.steps.get(step, self.default)


class LimitSettings(BaseModel):
    """Hard per-run budgets; None means no limit."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    max_usd: float | None = Field(default=None, gt=0)
    """Dollars one run may spend, reserved before every call."""
    max_calls: int | None = Field(default=None, ge=1)
    """Model calls (attempts included) one run may make."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Prompt plus completion tokens one run may use."""


class SessionLimits(BaseModel):
    """Budgets for a whole chat session, held across processes (spent amounts are stored)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    max_usd: float | None = Field(default=None, gt=0)
    """Dollars one session may spend over all its turns; None means no limit."""
    max_calls: int | None = Field(default=None, ge=1)
    """Model calls (attempts included) one session may make; None means no limit."""


class ConversationSettings(BaseModel):
    """How `chat` keeps a session: when older turns are summarised, what stays verbatim."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    summarize_after: int = Field(default=10, ge=1, le=10_000)
    """Fold every turn so far into the rolling summary each time this many turns were added."""
    keep_turns: int = Field(default=4, ge=0, le=100)
    """The last turns a reply always sees verbatim, summarised or not."""
    session: SessionLimits = Field(default_factory=SessionLimits)
    """Budgets for the whole session (per-turn budgets are `limits`)."""


class Settings(BaseModel):
    """Everything about a generated workflow that is data rather than code."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    schema_version: int = Field(default=1, alias="schema")
    """Format version of this file."""
    name: str
    """Project name."""
    pattern: str
    """The recommended (highest-rung) pattern id."""
    plan: Node
    """The composition tree; caps live in its nodes' params."""
    models: ModelChoice = Field(default_factory=ModelChoice)
    """Models per step."""
    max_tokens: dict[str, PositiveInt] = Field(default_factory=dict)
    """Completion-token cap per step (what the budget reserves for each call)."""
    limits: LimitSettings = Field(default_factory=LimitSettings)
    """Per-run budgets."""
    timeout_s: float = Field(default=60.0, gt=0)
    """Per-call timeout in seconds."""
    max_attempts: int = Field(default=3, ge=1, le=10)
    """Attempts per call for retryable errors (429, 408, 5xx, timeouts)."""
    volume_per_day: int = Field(default=1000, ge=0)
    """Requests per day, for projections."""
    input_tokens: int = Field(default=500, ge=1)
    """Assumed input size in tokens, for projections."""
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    """Price overrides per model string."""
    conversation: ConversationSettings | None = None
    """A chat project's session settings (None: the project has no `chat`)."""

    @field_validator("plan")
    @classmethod
    def _plan_params(cls, plan: Node) -> Node:
        """Every pattern's params typed and complete (runtime/params.py)."""
        return with_defaults(plan)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read and validate a settings file; SettingsError names the file, field and fix."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise SettingsError(f"cannot read {path}: {why}; {_RESTORE}") from None
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except _NotANumber as exc:
            raise SettingsError(
                f"{path}: {exc} is not a number JSON allows; write a finite number, "
                "or null where a limit may be absent"
            ) from None
        except RecursionError:
            raise SettingsError(f"{path} is nested too deeply to be settings; {_RESTORE}") from None
        except json.JSONDecodeError as exc:
            raise SettingsError(
                f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                f"fix that spot, or {_RESTORE}"
            ) from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise SettingsError(_field_error(path, exc)) from None

    def dump(self) -> str:
        """The settings as the JSON text written to disk."""
        # A project without `chat` has no conversation key at all (not a null to wonder at).
        skip = {"conversation"} if self.conversation is None else None
        return self.model_dump_json(by_alias=True, indent=2, exclude=skip) + "\n"


_RESTORE = "restore it with `wfadvise update` or from version control"

# Limits where null means "no limit": the fix names that way out too.
_NULLABLE = {"max_usd", "max_calls", "max_tokens"}


class _NotANumber(ValueError):
    """NaN or Infinity in the file: Python's json reads them, JSON does not allow them."""


def _no_constant(name: str) -> Any:
    raise _NotANumber(name)


def _field_error(path: Path, exc: ValidationError) -> str:
    """One line for the first problem: the file, the field, what is wrong and what to write."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = [str(part) for part in first["loc"]]
    field = ".".join(loc) or "(the whole file)"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    if first["type"] == "extra_forbidden":
        return f"{path}: unknown field {field!r}{more}; remove it or fix its spelling"
    if first["type"] == "missing":
        return f"{path}: field {field!r} is missing{more}; add it, or {_RESTORE}"
    if first["type"] == "value_error":  # a pattern parameter out of range (runtime/params.py)
        why = str(first["msg"]).removeprefix("Value error, ")
        return f"{path}: {field}: {why}{more}; write a valid value, or {_RESTORE}"
    got = json.dumps(first.get("input"), default=str)
    if len(got) > 60:
        got = got[:57] + "..."
    fix = "write a valid value"
    if loc and loc[-1] in _NULLABLE and loc[0] == "limits":
        fix += ", or null for no limit"
    return f"{path}: field {field!r} is {got}: {first['msg'].lower()}{more}; {fix}"
