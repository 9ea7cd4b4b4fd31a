"""What a step's role does with the flowing artifact: a check gates it, a guardrail vetoes it.

A check judges the artifact and never replaces it: on a pass the artifact flows on unchanged,
on a fail the run stops with the check's reason (GateFailed). A check is a model step that
answers with a Verdict, or a plain function returning True/None (pass), False or a reason
string (fail), or a Verdict. Guardrails run beside the step they guard, on the same input, and
veto its output before any later step sees it. A classify step inside a chain annotates:
the artifact flows on as it stood, with the label beside it (`labelled`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Step, StepLike, as_step, named, step_name
from .errors import GateFailed
from .parallel import JUDGE, Sections, parallel
from .refine import Verdict, as_verdict
from .results import VoteResult, show

if TYPE_CHECKING:
    from ..model_calls.models import Run

__all__ = ["Labelled", "Verdict", "check", "guarded", "judged", "labelled", "passthrough"]


def passthrough(value: Any) -> Any:
    """The artifact as it is: what a stage of checks guards (they judge it side by side)."""
    return value


def judged(raw: Any) -> Verdict:
    """A check's answer as a Verdict: None/True pass, False fails, a string is the reason."""
    if raw is None:
        return Verdict(approved=True)
    if isinstance(raw, str):
        return Verdict(approved=False, feedback=raw)
    return as_verdict(raw)


def check(judge: StepLike, *, name: str | None = None) -> Step:
    """A gate: run `judge` on the artifact; pass it on unchanged, or stop with the reason."""
    step = as_step(judge)
    label = name or step_name(judge)

    async def run_check(run: Run, value: Any) -> Any:
        verdict = judged(await step(run, value))
        if not verdict.approved:
            raise GateFailed(label, verdict.feedback or f"{label} did not pass", value)
        return value

    setattr(run_check, JUDGE, True)  # beside other branches, a pass adds no section
    return named(label, run_check)


@dataclass(frozen=True)
class Labelled:
    """The artifact as it stood before a classify step, with that step's label beside it."""

    task: Any
    """The artifact the classify step read (named `task`, as refine's Draft names what it
    wraps, so a conversation's shared context sees through it)."""
    label: Any
    """The classify step's answer (a vote's result when the step was voted on)."""
    by: str
    """The classify step's name: the heading of the label's section."""

    def __str__(self) -> str:
        said = self.label.answer if isinstance(self.label, VoteResult) else self.label
        return f"{show(self.task)}\n\n## {self.by}\n{show(said)}"


def labelled(classify: StepLike, *, name: str | None = None) -> Step:
    """A classify step that annotates instead of replacing: the next step gets the artifact as
    it stood, with the label in a section of its own below it (CONTRACTS §1, §4)."""
    step = as_step(classify)
    label = name or step_name(classify)

    async def run_labelled(run: Run, value: Any) -> Labelled:
        return Labelled(value, await step(run, value), label)

    return named(label, run_labelled)


def guarded(
    step: StepLike,
    guardrails: Mapping[str, StepLike],
    *,
    branch_timeout_s: float | None = None,
    concurrency: int | None = None,
    name: str = "guard",
) -> Step:
    """Run `step` and its guardrails at once on the same input; any failed guardrail vetoes
    the step's output (GateFailed), else the output goes on as if the step ran alone."""
    if not guardrails:
        raise ValueError("guarded needs at least one guardrail")
    main = as_step(step)
    key = step_name(step)
    if key in guardrails:
        raise ValueError(f"guardrail {key!r} has the name of the step it guards")

    def veto(sections: Sections) -> Any:
        for rail in guardrails:
            verdict = judged(sections.outputs.get(rail))
            if not verdict.approved:
                # The step is the guarded one (its output failed), the guardrail the reason.
                why = f"guardrail {rail!r} vetoed it" + (
                    f": {verdict.feedback}" if verdict.feedback else ""
                )
                raise GateFailed(key, why, sections.outputs.get(key))
        return sections.outputs[key]

    return parallel(
        {key: main, **{rail: as_step(fn) for rail, fn in guardrails.items()}},
        merge=veto,
        branch_timeout_s=branch_timeout_s,
        concurrency=concurrency,
        on_failure="fail",
        name=name,
    )
