"""parallel (sectioning): independent branches at once, then an optional merge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..scope import scope
from .base import Step, StepLike, as_step, named, note
from .errors import BranchFailed
from .fanout import Gathered, fan_out, scoped_job
from .results import show as _show

if TYPE_CHECKING:
    from ..model_calls.models import Run

OnFailure = Literal["fail", "partial"]


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
    Without `merge`, the Sections are the output.
    """
    if not branches:
        raise ValueError("parallel needs at least one branch")
    table = {key: as_step(b) for key, b in branches.items()}
    merger = as_step(merge) if merge is not None else None
    limit = concurrency or len(table)

    async def run_parallel(run: Run, value: Any) -> Any:
        with scope(name):
            got = await fan_out(
                [(key, scoped_job(run, key, step, value)) for key, step in table.items()],
                timeout_s=branch_timeout_s,
                concurrency=limit,
                fail_fast=on_failure == "fail",
            )
            sections = settle(got, on_failure)
            if merger is None:
                return sections
            return await merger(run, sections)

    return named(name, run_parallel)


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
