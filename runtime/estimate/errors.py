"""Every error the estimate package raises; `EstimateError` is their base."""

from __future__ import annotations

from ..errors import InputError, UnknownPriceError, WorkflowError


class EstimateError(WorkflowError):
    """Base of every error raised while estimating (a runtime `WorkflowError`)."""


class UnknownModelPrice(UnknownPriceError, EstimateError):
    """A step's model has no known price, so nothing can be projected in dollars."""

    def __init__(self, model: str, step: str) -> None:
        WorkflowError.__init__(
            self,
            f"no price known for model {model!r} (step {step!r}); give one in settings.json: "
            f'"prices": {{"{model}": {{"input_per_mtok": ..., "output_per_mtok": ...}}}}',
        )
        self.model = model
        """The model string without a price."""
        self.step = step
        """The first step that uses it."""


class TraceError(InputError, EstimateError):
    """A trace file that cannot be read or holds no model calls (fixed in the input: exit 2)."""


class MissingParam(EstimateError, ValueError):
    """A plan node lacks a parameter the cost walk needs (e.g. a vote's `n`)."""
