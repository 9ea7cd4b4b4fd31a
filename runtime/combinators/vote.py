"""vote: the same task n times at once, aggregated by majority with a threshold."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..scope import scope
from .base import Step, StepLike, as_step, named, note
from .fanout import Gathered, fan_out, scoped_job
from .results import UNCERTAIN, VoteResult
from .step import sampling_temperature

if TYPE_CHECKING:
    from ..model_calls.models import Run


def vote(
    task: StepLike,
    *,
    n: int,
    threshold: float,
    temperature: float | None = None,
    key: Callable[[Any], Hashable] | None = None,
    branch_timeout_s: float | None = None,
    concurrency: int | None = None,
    name: str = "vote",
) -> Step:
    """Run `task` n times (model steps at `temperature`) and return a VoteResult.

    The answer is the output whose `key` (default: whitespace- and case-normalised text) has
    strictly the most votes and at least `threshold` of all n; otherwise UNCERTAIN. A failed or
    timed-out vote is a vote for nothing. When a budget or cap refuses some votes, the votes
    already paid for decide (out of the votes that ran), the refusal is noted, and the run
    reports the stop (exit 3); with no vote paid for, the stop is raised.
    """
    if n < 1:
        raise ValueError(f"vote needs n >= 1, got {n}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold is a share of the n votes in (0, 1], got {threshold}")
    step = as_step(task)
    keyfn = key or default_key

    async def run_vote(run: Run, value: Any) -> VoteResult:
        with scope(name), sampling_temperature(temperature):
            jobs = [(str(i + 1), scoped_job(run, str(i + 1), step, value)) for i in range(n)]
            got = await fan_out(
                jobs, timeout_s=branch_timeout_s, concurrency=concurrency or n, fail_fast=False
            )
            refused = _refused(got)
            ran = n - len(refused)
            result = count(list(got.outputs.values()), max(ran, 1), threshold, keyfn)
            _report(run, got, result, threshold, refused)
            return result

    return named(name, run_vote)


def _refused(got: Gathered) -> list[str]:
    """Votes a budget or cap refused (or never started after a refusal)."""
    return [k for k, why in got.missing.items() if why.startswith(("stopped: ", "not started: "))]


def _report(
    run: Run, got: Gathered, result: VoteResult, threshold: float, refused: list[str]
) -> None:
    if got.stopped is not None:
        if not got.outputs:
            got.stopped.best = result
            raise got.stopped
        run.note_stop(got.stopped)  # the outcome says a budget shaped this answer (exit 3)
        note(
            "refused",
            f"{len(refused)} of {result.n + len(refused)} votes refused "
            f"({got.stopped.reason}); decided on the {result.n} that ran",
            cap=got.stopped.reason,
        )
    for label, why in got.missing.items():
        if label not in refused:
            note("failed", f"vote {label} has no output ({why})")
    if result.uncertain:
        note("uncertain", f"agreement {result.agreement:.2f} below threshold {threshold}")


def count(
    outputs: list[Any], n: int, threshold: float, key: Callable[[Any], Hashable]
) -> VoteResult:
    """Tally outputs by key; the leader wins only alone at the top and at >= threshold of n."""
    groups: dict[Hashable, list[Any]] = {}
    for out in outputs:
        groups.setdefault(key(out), []).append(out)
    ranked = sorted(groups.values(), key=len, reverse=True)
    tally = {str(key(g[0])): len(g) for g in ranked}
    top = len(ranked[0]) if ranked else 0
    tied = len(ranked) > 1 and len(ranked[1]) == top
    won = ranked and not tied and top / n >= threshold
    answer = ranked[0][0] if won else UNCERTAIN
    return VoteResult(answer=answer, agreement=top / n, votes=top, n=n, tally=tally)


WRAPPING = " \t\n.!\"'`*_"
"""What a short answer may be wrapped in without saying anything else: a model answers the same
label as `urgent`, `Urgent.` or `**urgent**`."""


def default_key(output: Any) -> Hashable:
    """Outputs that differ only in case, whitespace, or the quotes, emphasis and full stop
    around them count as the same answer."""
    if isinstance(output, BaseModel):
        return output.model_dump_json()
    return " ".join(str(output).split()).strip(WRAPPING).casefold()
