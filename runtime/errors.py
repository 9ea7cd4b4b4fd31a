"""The runtime's exceptions: one base class, stops (budgets and caps) and call failures."""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """Base of every error the runtime raises on purpose."""


class StoppedError(WorkflowError):
    """A limit or cap stopped the run; `best` holds the best result so far (combinators fill it)."""

    def __init__(self, limit: str, value: float, would_reach: float) -> None:
        reason = stop_reason(limit, value, would_reach)
        super().__init__(f"stopped: {reason}")
        self.reason = reason
        """Readable cause, e.g. "max_usd=0.05 (would reach 0.061)"."""
        self.limit = limit
        """Name of the limit or cap, e.g. "max_usd" or "max_rounds"."""
        self.value = value
        """The limit's configured value."""
        self.would_reach = would_reach
        """What the run would have reached had it gone on."""
        self.best: Any = None
        """Best result so far; combinators set it as the exception passes through them."""


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


def stop_reason(limit: str, value: float, would_reach: float) -> str:
    """The standard reason text: `max_usd=0.05 (would reach 0.061)`."""
    return f"{limit}={_fmt(value)} (would reach {_fmt(would_reach)})"


class BudgetExceeded(StoppedError):
    """A call was refused because its worst case does not fit a per-run budget."""


class BudgetOverrun(StoppedError):
    """The provider counted more tokens (or dollars) for a call than the runtime had reserved:
    the bound no longer holds, so the run stops before it can pass a limit."""

    def __init__(self, step: str, counted: int, reserved: int) -> None:
        super().__init__("reserved_tokens", reserved, counted)
        self.reason = (
            f"the provider counted {counted} tokens for step {step!r}, above the {reserved} "
            "reserved for it; stopped so the budget cannot be exceeded"
        )
        self.args = (f"stopped: {self.reason}",)


class CapReached(StoppedError):
    """A step cap (rounds, workers, steps, calls) stopped a loop."""


class UnknownPriceError(WorkflowError):
    """A model has no known price, so a dollar budget cannot be enforced for it."""

    def __init__(self, model: str) -> None:
        super().__init__(
            f"no price known for model {model!r}, so the max_usd budget cannot be enforced; "
            f'give one in settings.json: "prices": {{"{model}": '
            '{"input_per_mtok": ..., "output_per_mtok": ...}}, or drop max_usd'
        )
        self.model = model
        """The model string without a price."""


class ModelRequestsDisabled(WorkflowError):
    """A real model request was attempted while ALLOW_MODEL_REQUESTS is off (the test suite)."""

    def __init__(self, model: str) -> None:
        super().__init__(
            f"real model request to {model!r} refused: model requests are disabled "
            "(WFADVISE_ALLOW_MODEL_REQUESTS=0); use the simulated model"
        )
        self.model = model
        """The model that would have been called."""


class OutputValidationError(WorkflowError):
    """The model's reply did not validate against the requested response model."""

    def __init__(self, step: str, raw: str, summary: str) -> None:
        super().__init__(f"step {step!r}: output did not match the schema: {summary}")
        self.step = step
        """Step path of the call."""
        self.raw = raw
        """The raw reply text, for a repair prompt."""
        self.summary = summary
        """Readable list of what was wrong, for a repair prompt."""


class ModelCallError(WorkflowError):
    """A model call failed for good (not retryable, or out of attempts)."""

    def __init__(
        self, step: str, model: str, message: str, *, status: int | None, attempts: int
    ) -> None:
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        super().__init__(f"step {step!r} ({model}): {message} (after {tries})")
        self.step = step
        """Step path of the call."""
        self.model = model
        """Model string."""
        self.status = status
        """HTTP status of the last failure, if the provider answered with one."""
        self.attempts = attempts
        """Attempts made."""


class InputError(WorkflowError):
    """A mistake in what the user gave (a file, a flag): fixed in the input, exit 2 in a CLI."""


class SettingsError(InputError, ValueError):
    """settings.json cannot be read or does not validate; the message names the field and fix."""


class TraceFileError(InputError):
    """A `--trace` path that is not a trace (or cannot be written): refused before any call."""
