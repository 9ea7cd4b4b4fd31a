"""What a model call returns and a run totals: CallResult, RunSummary, and ModelMap (which model a
step calls)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from .completion import ToolCall, Usage

if TYPE_CHECKING:
    from ..settings import ModelChoice

T = TypeVar("T")


@dataclass(frozen=True)
class ModelMap:
    """Which model each step calls: per-step entries, else the default."""

    default: str = "openai/gpt-4o-mini"
    """litellm model string for every step without its own entry."""
    per_step: Mapping[str, str] = field(default_factory=dict)
    """Model per step name."""

    def for_step(self, step: str) -> str:
        """The model a step (by name, the last path segment) calls."""
        return self.per_step.get(step, self.default)

    @classmethod
    def of(cls, models: ModelMap | ModelChoice | str) -> ModelMap:
        """A ModelMap from a model string, a ModelMap or settings' ModelChoice."""
        if isinstance(models, ModelMap):
            return models
        if isinstance(models, str):
            return cls(default=models)
        return cls(default=models.default, per_step=dict(models.steps))


@dataclass(frozen=True)
class CallResult(Generic[T]):
    """One successful model call."""

    output: T
    """The reply text, or the validated response-model object."""
    usage: Usage
    """Tokens of the successful attempt."""
    cost_usd: float | None
    """Dollars of the successful attempt (None when the model has no known price)."""
    latency_s: float
    """Seconds of the successful attempt."""
    model: str
    """Model string called."""
    attempts: int
    """Attempts made (1 = no retry)."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    """Tool calls the model asked for (empty when it answered)."""
    step: str = ""
    """Step path, as in the trace."""
    text: str = ""
    """The raw reply text."""


@dataclass(frozen=True)
class RunSummary:
    """Totals of a run so far (the trace's summary line)."""

    calls: int
    """Attempts made, failed ones included."""
    prompt_tokens: int
    """Prompt tokens charged."""
    completion_tokens: int
    """Completion tokens charged."""
    cost_usd: float
    """Dollars charged (models without a price count 0)."""
    stopped_by: str | None
    """Reason a limit or cap stopped the run, if one did (INTERRUPTED for a Ctrl-C)."""


INTERRUPTED = "interrupted"
"""A run's stopped_by when Ctrl-C (or a cancellation) ended it: its trace is incomplete, and
its last call's tokens are what was reserved, not what a finished call used."""
UNSETTLED_KEY = "unsettled"
"""Key on a call's trace line when the provider's count never came (the call timed out or was
cancelled, e.g. by a map item's timeout): its tokens and dollars are the reservation charged
to the budget, not what the call used, so the estimate does not learn sizes from it."""
