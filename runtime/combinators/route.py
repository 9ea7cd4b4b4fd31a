"""route: a classifier picks one handler; a label outside the allowed set goes to the fallback."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import BudgetExceeded, OutputValidationError
from ..model_calls.budget import Budget, Reservation
from ..model_calls.replies import label_key
from ..scope import scope
from .base import Step, StepLike, as_step, named, note

if TYPE_CHECKING:
    from ..model_calls.models import Run


def route(
    classify: StepLike,
    handlers: Mapping[str, StepLike],
    *,
    fallback: str,
    name: str = "route",
) -> Step:
    """Classify the input, then run the handler for its label on the same input.

    The classifier may be a model step (response_model with a Literal/enum `label` field) or
    plain code returning a label. A label not in `handlers`, or a classifier whose output never
    validated, goes to `fallback` (a key of `handlers`) with a note, never a KeyError. Routing
    by difficulty is the same: handlers are model steps keyed to different models.
    """
    if fallback not in handlers:
        raise ValueError(f"fallback {fallback!r} is not a handler; handlers are {sorted(handlers)}")
    table = {label: as_step(h) for label, h in handlers.items()}
    classifier = as_step(classify)

    async def run_route(run: Run, value: Any) -> Any:
        with scope(name):
            # One call stays held for the handler while the classifier (and its repairs) run,
            # so a call cap can stop the classifier but never leave the input unanswered.
            slot = _hold_a_call(run)
            try:
                label = await _label(classifier, run, value, fallback, sorted(table))
            finally:
                if slot is not None:
                    run.budget.release(slot)
            with scope(label):
                return await table[label](run, value)

    return named(name, run_route)


def _hold_a_call(run: Run) -> Reservation | None:
    """A call slot for the handler, when the run has a call cap and a call left."""
    budget: Budget | None = getattr(run, "budget", None)  # code-only flows may have no Run
    if budget is None or budget.limits.max_calls is None:
        return None
    try:
        return budget.reserve(tokens=0, usd=0.0, calls=1)
    except BudgetExceeded:
        return None  # no call left at all: the classifier's own call will say so


async def _label(classifier: Step, run: Run, value: Any, fallback: str, allowed: list[str]) -> str:
    try:
        raw = await classifier(run, value)
    except OutputValidationError as exc:
        note("fallback", f"classifier output never validated ({exc.summary}); using {fallback!r}")
        return fallback
    except BudgetExceeded as exc:
        if exc.limit != "max_calls":
            raise
        note("fallback", f"classifier stopped by {exc.reason}; using {fallback!r}", cap=exc.reason)
        return fallback
    label = label_of(raw)
    same = [a for a in allowed if label_key(a) == label_key(label)]
    if label in allowed or len(same) == 1:
        return label if label in allowed else same[0]
    note("fallback", f"unknown label {label!r} (allowed: {allowed}); using {fallback!r}")
    return fallback


def label_of(raw: Any) -> str:
    """The label in a classifier's output: a str, an enum, or a model's `label` (or only) field."""
    if isinstance(raw, BaseModel):
        fields = type(raw).model_fields
        key = "label" if "label" in fields else next(iter(fields)) if len(fields) == 1 else None
        if key is None:
            return repr(raw)
        raw = getattr(raw, key)
    if isinstance(raw, enum.Enum):
        raw = raw.value
    return str(raw).strip()
