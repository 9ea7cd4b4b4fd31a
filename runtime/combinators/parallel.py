"""parallel (sectioning): independent branches at once, then an optional merge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..errors import WorkflowError
from ..scope import scope
from .base import Step, StepLike, as_step, named, note
from .errors import BranchFailed, GateFailed
from .fanout import Gathered, Job, fan_out, scoped_job
from .results import show as _show

if TYPE_CHECKING:
    from ..model_calls.models import Run

OnFailure = Literal["fail", "partial"]

JUDGE = "wfadvise_judges"
"""Marks a step that judges the artifact and never replaces it (`roles.check`). Beside other
branches its pass adds no section (the artifact it judged again is no new content); its fail
vetoes the stage."""


@dataclass
class Sections:
    """Branch outputs by name, and the branches that produced none (the gap)."""

    outputs: dict[str, Any]
    """Output of every branch that finished, in branch order."""
    missing: dict[str, str] = field(default_factory=dict)
    """Branches without an output and why (error, timeout, stop)."""

    @property
    def complete(self) -> bool:
        """True when every branch produced an output."""
        return not self.missing

    def __str__(self) -> str:
        parts = [f"## {name}\n{_show(out)}" for name, out in self.outputs.items()]
        parts += [f"## {name}\n(missing: {why})" for name, why in self.missing.items()]
        return "\n\n".join(parts)


def parallel(
    branches: Mapping[str, StepLike],
    *,
    merge: StepLike | None = None,
    branch_timeout_s: float | None = None,
    concurrency: int | None = None,
    on_failure: OnFailure = "fail",
    name: str = "parallel",
) -> Step:
    """Run every branch on the same input at once; merge their Sections (code or a model step).

    A branch past `branch_timeout_s` (counted from when it gets one of `concurrency` slots) is
    cancelled without holding the others. on_failure="fail" raises BranchFailed at the first
    failed branch; "partial" merges the rest and reports the gap in `Sections.missing`.
    A branch whose check or gate rejected the artifact (GateFailed) is a veto, not a gap: under
    either policy the stage stops with that GateFailed (a guardrail vetoes before anything
    after it runs). Without `merge`, the Sections are the output.
    """
    if not branches:
        raise ValueError("parallel needs at least one branch")
    table = {key: as_step(b) for key, b in branches.items()}
    merger = as_step(merge) if merge is not None else None
    limit = concurrency or len(table)

    async def run_parallel(run: Run, value: Any) -> Any:
        raised: dict[str, Exception] = {}
        with scope(name):
            got = await fan_out(
                [
                    (k, _watched(k, scoped_job(run, k, step, value), raised))
                    for k, step in table.items()
                ],
                timeout_s=branch_timeout_s,
                concurrency=limit,
                fail_fast=on_failure == "fail",
            )
            vetoes = [raised[k] for k in table if isinstance(raised.get(k), GateFailed)]
            if vetoes:  # the first in branch order, whichever finished first
                raise vetoes[0]
            checks = {k for k, step in table.items() if getattr(step, JUDGE, False)}
            if len(checks) < len(table):  # passed checks: their verdict is no section
                got.outputs = {k: out for k, out in got.outputs.items() if k not in checks}
            _plain_reasons(got, raised)
            sections = settle(got, on_failure)
            if merger is None:
                return sections
            return await merger(run, sections)

    return named(name, run_parallel)


def _watched(key: str, job: Job, raised: dict[str, Exception]) -> Job:
    """`job`, remembering the exception it raised (fan_out keeps only a line of text)."""

    async def watched() -> Any:
        try:
            return await job()
        except WorkflowError as exc:  # a budget stop included: fan_out still sees it as one
            raised[key] = exc
            raise

    return watched


def _plain_reasons(got: Gathered, raised: dict[str, Exception]) -> None:
    """A branch that failed with the runtime's own error says its message alone: a person
    reads "output does not match ...", not the error's class name."""
    for key, exc in raised.items():
        if key in got.missing and not got.missing[key].startswith(("stopped", "not started")):
            got.missing[key] = str(exc)


def settle(got: Gathered, on_failure: OnFailure) -> Sections:
    """Sections from a fan-out, or the stop / BranchFailed the policy calls for."""
    if got.stopped is not None:
        refused = [
            k for k, why in got.missing.items() if why.startswith(("stopped", "not started"))
        ]
        note(
            "refused",
            f"{len(refused)} branch(es) refused ({', '.join(map(repr, refused))}); kept the "
            f"{len(got.outputs)} that ran",
            cap=got.stopped.reason,
        )
        partial = dict(got.outputs)
        if got.stopped_job is not None and got.stopped.best is not None:
            partial[got.stopped_job] = got.stopped.best  # the stopped branch's own best so far
        got.stopped.best = Sections(partial, got.missing)
        raise got.stopped
    if got.first_failure is not None and on_failure == "fail":
        raise BranchFailed(got.first_failure, got.missing[got.first_failure])
    for key, why in got.missing.items():
        note("failed", f"branch {key!r} has no output ({why}); merging the rest")
    return Sections(got.outputs, got.missing)
