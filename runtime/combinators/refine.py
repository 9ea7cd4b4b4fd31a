"""refine (evaluator-optimizer): generate, evaluate, revise, at most max_rounds evaluations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import CapReached, StoppedError, WorkflowError
from ..scope import scope
from .base import Step, StepLike, as_step, named, note
from .fanout import keep_partial
from .results import Refined
from .results import show as _show

if TYPE_CHECKING:
    from ..model_calls.models import Run


class Verdict(BaseModel):
    """An evaluator's structured judgement of one draft."""

    approved: bool
    """True when the draft meets every criterion."""
    feedback: str = ""
    """Specific, actionable critique for the next revision."""
    score: float | None = None
    """Optional quality score; when given, the best-scored draft is kept."""


@dataclass(frozen=True)
class Draft:
    """What evaluate and revise receive: the task, the current draft and the last feedback."""

    task: Any
    """The refine step's input."""
    draft: Any
    """The draft under review."""
    round: int
    """Evaluation round, from 1."""
    feedback: str = ""
    """The evaluator's feedback on this draft (empty when evaluating it)."""

    def __str__(self) -> str:
        text = f"# Task\n{_show(self.task)}\n\n# Draft\n{_show(self.draft)}"
        return text + (f"\n\n# Feedback\n{self.feedback}" if self.feedback else "")


def refine(
    generate: StepLike,
    evaluate: StepLike,
    revise: StepLike | None = None,
    *,
    max_rounds: int,
    name: str = "refine",
) -> Step:
    """Generate a draft, then evaluate and revise it until approved or `max_rounds` evaluations.

    `evaluate` gets a Draft and returns a Verdict (model step or code check; a bool or any object
    with `approved`/`feedback` also works). `revise` gets the Draft with feedback; without it,
    `generate` is called again with that Draft. Worst case 2 x max_rounds steps.
    """
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be >= 1, got {max_rounds}")
    gen, judge = as_step(generate), as_step(evaluate)
    fix = as_step(revise) if revise is not None else gen

    async def run_refine(run: Run, value: Any) -> Refined:
        best: _Best = _Best()
        with scope(name):
            try:
                return await _loop(run, value, gen, judge, fix, max_rounds, best)
            except StoppedError as exc:
                exc.best = best.so_far(exc.best)
                raise
            except asyncio.CancelledError:  # a map item's or branch's timeout: keep the draft
                keep_partial(best.so_far(None))
                raise

    return named(name, run_refine)


class _Best:
    """The best evaluated draft so far, and the latest draft in case none was evaluated yet."""

    def __init__(self) -> None:
        self.has = False
        self.draft: Any = None
        self.score: float | None = None
        self.latest: Any = None

    def so_far(self, inner: Any) -> Any:
        """What a stop should carry: the best evaluated draft, else the latest, else inner's."""
        if self.has:
            return self.draft
        return self.latest if self.latest is not None else inner

    def offer(self, draft: Any, verdict: Verdict) -> None:
        better = verdict.score is None or self.score is None or verdict.score >= self.score
        if not self.has or better:
            self.has, self.draft, self.score = True, draft, verdict.score


async def _loop(
    run: Run, value: Any, gen: Step, judge: Step, fix: Step, max_rounds: int, best: _Best
) -> Refined:
    draft = best.latest = await gen(run, value)
    feedback = ""
    for n in range(1, max_rounds + 1):
        try:
            verdict = as_verdict(await judge(run, Draft(value, draft, n)))
        except StoppedError:
            raise
        except WorkflowError as exc:  # the draft is paid for: keep it, say the check failed
            return _unjudged(best, draft, n, f"the evaluator failed ({exc})")
        best.offer(draft, verdict)
        feedback = verdict.feedback
        if verdict.approved:
            return Refined(draft, True, n, None, feedback)
        if n < max_rounds:  # revise only when another evaluation can judge the revision
            try:
                draft = best.latest = await fix(run, Draft(value, draft, n, feedback))
            except StoppedError:
                raise
            except WorkflowError as exc:
                return _unjudged(best, best.draft, n, f"the revision failed ({exc})")
    cap = CapReached("max_rounds", max_rounds, max_rounds + 1)
    run.note_stop(cap)  # the run's summary says a cap shaped this result
    reason = cap.reason
    note("cap", f"not approved after {max_rounds} rounds; returning the best draft", cap=reason)
    return Refined(best.draft, False, max_rounds, reason, feedback)


def _unjudged(best: _Best, draft: Any, rounds: int, why: str) -> Refined:
    """The best evaluated draft (else the latest) when an evaluation or revision failed."""
    keep = best.draft if best.has else draft
    note("failed", f"{why}; returning the best draft so far, not approved")
    return Refined(keep, False, rounds, None, why)


def as_verdict(raw: Any) -> Verdict:
    """An evaluator's output as a Verdict: a Verdict, a bool, or an object with `approved`."""
    if isinstance(raw, Verdict):
        return raw
    if isinstance(raw, bool):
        return Verdict(approved=raw, feedback="" if raw else "the check failed")
    if isinstance(raw, tuple) and len(raw) == 2:
        return Verdict(approved=bool(raw[0]), feedback=str(raw[1]))
    if hasattr(raw, "approved"):
        score = getattr(raw, "score", None)
        return Verdict(
            approved=bool(raw.approved),
            feedback=str(getattr(raw, "feedback", "") or ""),
            score=float(score) if isinstance(score, (int, float)) else None,
        )
    raise TypeError(f"evaluator returned {type(raw).__name__}; return a Verdict or a bool")
