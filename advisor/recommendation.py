"""What the diagnosis returns: the pattern, the composition, why, and what the template needs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from runtime.plan import Node, PatternId
from runtime.settings import ConversationSettings, LimitSettings, ModelChoice, Settings

from .answers import Answers


class CallsPerRequest(BaseModel):
    """Model calls per request (transport retries and output repairs not included)."""

    model_config = ConfigDict(frozen=True)

    expected: float
    """Calls a typical request makes."""
    worst: int
    """Calls no request exceeds under the caps."""
    critical_path: float
    """Sequential calls a typical request waits for."""

    def to_contract(self) -> dict[str, float | int]:
        """`{"expected", "worst"}` as CONTRACTS §2 shows them (whole numbers stay whole)."""
        return {"expected": _tidy(self.expected), "worst": self.worst}


class UsdPerRequest(BaseModel):
    """Dollars per request from the estimate engine (what `wfadvise estimate --answers` shows)."""

    model_config = ConfigDict(frozen=True)

    expected: float
    """Dollars a typical request costs."""
    worst: float | None
    """Dollars no request exceeds under the caps (None: unbounded)."""

    def to_contract(self) -> dict[str, float | None]:
        """`{"expected", "worst"}` rounded as the estimate prints them."""
        return {
            "expected": round(self.expected, 8),
            "worst": None if self.worst is None else round(self.worst, 8),
        }


class Rejected(BaseModel):
    """A pattern the advisor did not pick, and why."""

    model_config = ConfigDict(frozen=True)

    pattern: PatternId
    """The pattern id."""
    why: str
    """Why not, tied to the answers; for a higher rung, what it would add in calls and risk."""
    calls_per_request: CallsPerRequest | None = None
    """Calls per request had this pattern been chosen."""


class Params(BaseModel):
    """The parameters the template and settings.json need beyond the composition tree."""

    model_config = ConfigDict(frozen=True)

    default_model: str
    """Model for steps without their own entry."""
    models: dict[str, str]
    """The model every step calls, keyed by step name."""
    step_kinds: dict[str, str]
    """The kind of every step (classify, generate, evaluate...), keyed by step name."""
    max_tokens: dict[str, int]
    """Completion-token cap per step, from its kind."""
    limits: LimitSettings
    """Per-run budgets: max_usd from the answers, max_calls from the worst count."""


class Recommendation(BaseModel):
    """The advisor's answer: the simplest pattern that fits, composed, explained and costed."""

    model_config = ConfigDict(frozen=True)

    pattern: PatternId
    """The highest ladder rung in the composition (the outermost one on a tie)."""
    uses: list[PatternId]
    """Every pattern in the composition, sorted; single-call only when it is the whole thing."""
    composition: Node
    """The composition tree: which pattern wraps which."""
    reasons: list[str]
    """Why, each tied to an answer."""
    rejected: list[Rejected]
    """Patterns not used and why; every higher rung says what it would add."""
    warnings: list[str]
    """Things the user should know or fix."""
    calls_per_request: CallsPerRequest
    """Model calls per request through the composition."""
    params: Params
    """Models, max_tokens and limits per step, for the template."""
    answers: Answers
    """The answers this came from."""
    override: PatternId | None = None
    """The pattern the user picked instead of the recommendation, if any."""
    natural_pattern: PatternId = Field(default="single-call")
    """What the answers alone lead to (equals `pattern` unless overridden)."""
    usd_per_request: UsdPerRequest | None = None
    """Dollars per request (None when a model has no known price)."""
    worst_calls: float | None = None
    """Calls a request can make with transport retries and output repairs under the run's
    limits (`wfadvise estimate`'s worst_calls), priced with `usd_per_request`; None when a
    model has no known price. Not in the JSON: `calls_per_request.worst` is the designed one."""

    def to_contract(self) -> dict[str, Any]:
        """The JSON object of CONTRACTS §2."""
        return {
            "pattern": self.pattern,
            "uses": list(self.uses),
            "composition": self.composition.model_dump(mode="json"),
            "reasons": list(self.reasons),
            "rejected": [_rejected_json(r) for r in self.rejected],
            "warnings": list(self.warnings),
            "calls_per_request": self.calls_per_request.to_contract(),
            **(
                {"usd_per_request": self.usd_per_request.to_contract()}
                if self.usd_per_request is not None
                else {}
            ),
        }

    def settings(self) -> Settings:
        """The generated project's settings.json content."""
        models = ModelChoice(
            default=self.params.default_model,
            steps={s: m for s, m in self.params.models.items() if m != self.params.default_model},
            api_base=self.answers.api_base,
        )
        volume = self.answers.volume_per_day
        return Settings(
            name=self.answers.name,
            pattern=self.pattern,
            plan=self.composition,
            models=models,
            max_tokens=dict(self.params.max_tokens),
            limits=self.params.limits,
            conversation=conversation_settings(self.answers) if self.answers.conversation else None,
            **({"volume_per_day": volume} if volume is not None else {}),
        )


def conversation_settings(answers: Answers) -> ConversationSettings:
    """A chat project's session settings: `summarize_after` if given, else the default."""
    given = answers.summarize_after
    return ConversationSettings(**({"summarize_after": given} if given is not None else {}))


def _rejected_json(item: Rejected) -> dict[str, Any]:
    out: dict[str, Any] = {"pattern": item.pattern, "why": item.why}
    if item.calls_per_request is not None:
        out["calls_per_request"] = item.calls_per_request.to_contract()
    return out


def _tidy(value: float) -> float | int:
    """Whole numbers as ints, the rest to two decimals: what a reader expects to see."""
    return int(value) if float(value).is_integer() else round(value, 2)
