"""cascade (FrugalGPT): the cheap model answers first; only answers its check doubts go on to the
strong model.

The check sees the input and the cheap answer and gives a confidence in [0, 1]: a short model
step (a `Confidence` reply) or plain code (a float, a bool, or anything with `confidence`). An
answer below `threshold` escalates: the strong model answers the same input from scratch.
Every decision is a note and a trace line `{"cascade": {...}}`, so a trace gives the escalation
rate; a check that fails escalates (when in doubt, ask the strong model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..errors import StoppedError, WorkflowError
from ..scope import current_path, scope
from .base import Step, StepLike, as_step, named, note
from .cascade_trace import TRACE_KEY
from .cascade_trace import Escalations as Escalations  # re-exported: counted from traces
from .cascade_trace import escalations as escalations
from .results import show

if TYPE_CHECKING:
    from ..model_calls.models import Run


class Confidence(BaseModel):
    """A confidence check's reply: how sure it is that the cheap answer is right and complete."""

    confidence: float = Field(ge=0.0, le=1.0)
    """0 = surely wrong or incomplete, 1 = surely right."""
    reason: str = ""
    """What makes the answer doubtful, in one line."""


@dataclass(frozen=True)
class Attempt:
    """What the confidence check receives: the input and the cheap model's answer."""

    task: Any
    """The cascade's input."""
    answer: Any
    """The cheap model's answer."""

    def __str__(self) -> str:
        return f"# Task\n{show(self.task)}\n\n# Answer\n{show(self.answer)}"


def cascade(
    easy: StepLike,
    hard: StepLike,
    check: StepLike,
    *,
    threshold: float,
    name: str = "cascade",
) -> Step:
    """Run `easy`; when `check` gives its answer a confidence below `threshold`, run `hard`.

    Calls: 1 + the check's (0 for code, 1 for a model) + 1 when escalated. When a budget or cap
    refuses the strong call, the cheap answer (already paid for) is returned, the refusal noted
    and the stop reported (exit 3); a strong call that fails otherwise keeps it too.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold is a confidence in (0, 1], got {threshold}")
    cheap, strong, judge = as_step(easy), as_step(hard), as_step(check)

    async def run_cascade(run: Run, value: Any) -> Any:
        with scope(name):
            answer = await cheap(run, value)
            try:
                confidence: float | None = as_confidence(await judge(run, Attempt(value, answer)))
            except StoppedError as exc:  # no room to check: the cheap answer is the best so far
                exc.best = answer
                raise
            except WorkflowError as exc:
                note("failed", f"the confidence check failed ({exc}); escalating")
                confidence = None
            escalate = confidence is None or confidence < threshold
            _record(run, name, confidence, threshold, escalate)
            if not escalate:
                return answer
            try:
                return await strong(run, value)
            except StoppedError as exc:
                run.note_stop(exc)  # the outcome says a budget shaped this answer (exit 3)
                note(
                    "refused",
                    f"the strong model was refused ({exc.reason}); keeping the cheap answer",
                    cap=exc.reason,
                )
                return answer
            except WorkflowError as exc:
                note("failed", f"the strong model failed ({exc}); keeping the cheap answer")
                return answer

    return named(name, run_cascade)


HEDGES = (
    "not sure",
    "not certain",
    "i don't know",
    "i do not know",
    "cannot answer",
    "can't answer",
    "unable to",
    "not enough information",
    "it depends",
    "unclear",
)
"""Phrases by which a model says it is unsure; `answer_confidence` doubts an answer using one."""


def answer_confidence(attempt: Attempt) -> float:
    """A code check with no model call: an empty answer is 0, one that hedges 0.3, else 0.9."""
    text = " ".join(show(attempt.answer).split()).casefold()
    if not text:
        return 0.0
    return 0.3 if any(h in text for h in HEDGES) else 0.9


def as_confidence(raw: Any) -> float:
    """A check's output as a confidence in [0, 1]: a number, a bool, or `.confidence`."""
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if hasattr(raw, "confidence"):
        raw = raw.confidence
    elif hasattr(raw, "approved"):  # a Verdict-like check: approved is sure, else escalate
        return 1.0 if raw.approved else 0.0
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw):
        return min(1.0, max(0.0, float(raw)))
    raise TypeError(
        f"confidence check returned {type(raw).__name__}; return a number in [0, 1] or a bool"
    )


def _record(
    run: Run, name: str, confidence: float | None, threshold: float, escalate: bool
) -> None:
    shown = "unknown" if confidence is None else f"{confidence:.2f}"
    verdict = "escalated to the strong model" if escalate else "kept the cheap answer"
    note("cascade", f"confidence {shown} vs threshold {threshold:g}: {verdict}")
    trace = getattr(run, "trace", None)
    if trace is not None:
        record = {
            "name": name,
            "path": ">".join(current_path()),
            "confidence": confidence,
            "threshold": threshold,
            "escalated": escalate,
        }
        trace.write({TRACE_KEY: record})
