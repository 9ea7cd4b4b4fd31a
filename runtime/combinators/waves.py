"""waves: an orchestrator's planned subtasks run in dependency order, each wave at once.

A wave is every subtask whose dependencies all finished in earlier waves (a topological level
of the plan's DAG, `runtime/dag.py`). Each worker gets a `Briefing`: its subtask and the results
of the subtasks it depends on. The calls of one wave run at the same time, so a request waits
for about one call per wave, not one per subtask. In a trace, a worker's step path holds its
wave: `orchestrate>wave2>write#3>write`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..dag import field_of, levels, needs
from ..scope import scope
from ..subtask_fields import ID_FIELD
from .base import Step
from .fanout import Gathered, fan_out, scoped_job
from .results import show

if TYPE_CHECKING:
    from ..model_calls.models import Run

TASK_FIELD = "task"
"""The subtask field a dependency's result is titled with in a worker's prompt."""
WAVE_SCOPE = "wave{n}"
"""The step-path segment a wave's workers run under (1-based), as the trace shows it."""


@dataclass(frozen=True)
class Briefing:
    """What a worker receives when subtasks depend on each other (str() is its prompt text)."""

    subtask: Any
    """The subtask as planned."""
    results: dict[str, Any] = field(default_factory=dict)
    """The output of every subtask it depends on, by id, in its `depends_on` order."""
    tasks: dict[str, str] = field(default_factory=dict)
    """What each of those subtasks was asked (its `task` field), by id, when it has one."""

    def __str__(self) -> str:
        parts = [show(self.subtask)]
        if self.results:
            parts.append("Results of the subtasks this one depends on:")
            parts += [f"## {self._title(sid)}\n{show(out)}" for sid, out in self.results.items()]
        return "\n\n".join(parts)

    def _title(self, sid: str) -> str:
        task = self.tasks.get(sid)
        return f"{sid}: {task}" if task else sid


@dataclass
class Waves:
    """What running a plan in waves produced: every worker's output and gap, and the waves."""

    got: Gathered
    """Outputs and missing workers by label (plan order), and any stop, as a fan-out gives."""
    labels: list[list[str]] = field(default_factory=list)
    """The labels of the workers each wave started, in order."""


async def run_waves(
    run: Run,
    jobs: Sequence[tuple[str, Step, Any]],
    *,
    timeout_s: float | None,
    concurrency: int,
    fail_fast: bool,
) -> Waves:
    """Run `(label, worker, subtask)` jobs wave by wave; each wave's jobs at once.

    A subtask whose dependency has no result (it failed, was refused, dropped or skipped) is
    not run and is missing with that reason. A budget or cap stop in a wave lets that wave's
    running calls finish (they are paid for) and starts no later wave; the finished results
    are kept. A failure under `fail_fast` starts no later wave either.
    """
    subtasks = [sub for _, _, sub in jobs]
    ids = [_id(sub, label) for label, _, sub in jobs]
    results: dict[str, Any] = {}
    asked = [field_of(sub, TASK_FIELD) for _, _, sub in jobs]
    tasks = {sid: str(t) for sid, t in zip(ids, asked, strict=True) if t not in (None, "")}
    out = Waves(Gathered())
    got = out.got
    for n, wave in enumerate(levels(subtasks), 1):
        if got.stopped is not None or (fail_fast and got.first_failure):
            for i in wave:
                got.missing[jobs[i][0]] = _not_started(got)
            continue
        ready: list[tuple[str, Any]] = []
        for i in wave:
            label, worker, sub = jobs[i]
            lacking = [d for d in needs(sub) if d not in results]
            if lacking:
                got.missing[label] = _lacking(got, jobs, ids, lacking[0])
                continue
            brief = Briefing(
                sub,
                {d: results[d] for d in needs(sub)},
                {d: tasks[d] for d in needs(sub) if d in tasks},
            )
            ready.append((label, scoped_job(run, label, worker, brief)))
        if not ready:  # every subtask of this wave lacks a dependency's result
            continue
        out.labels.append([label for label, _ in ready])
        with scope(WAVE_SCOPE.format(n=n)):
            part = await fan_out(
                ready, timeout_s=timeout_s, concurrency=concurrency, fail_fast=fail_fast
            )
        _merge(got, part)
        for i in wave:
            if jobs[i][0] in part.outputs:
                results[ids[i]] = part.outputs[jobs[i][0]]
    order = [label for label, _, _ in jobs]
    got.outputs = {k: got.outputs[k] for k in order if k in got.outputs}
    got.missing = {k: got.missing[k] for k in order if k in got.missing}
    return out


_NOT_RUN = "not run:"
"""How a missing subtask's reason starts when a dependency's result was lacking."""


def _id(subtask: Any, label: str) -> str:
    value = field_of(subtask, ID_FIELD)
    return str(value) if value not in (None, "") else label


def _lacking(got: Gathered, jobs: Sequence[tuple[str, Step, Any]], ids: list[str], dep: str) -> str:
    """Why a subtask was not run: the dependency it lacks, and that one's own reason (once)."""
    why = got.missing.get(_label_of(jobs, ids, dep), "it was dropped from the plan")
    cause = "it was not run either" if why.startswith(_NOT_RUN) else why
    return f"{_NOT_RUN} needs {dep!r}, which has no result ({cause})"


def _label_of(jobs: Sequence[tuple[str, Step, Any]], ids: list[str], sid: str) -> str:
    return next((jobs[i][0] for i, x in enumerate(ids) if x == sid), sid)


def _not_started(got: Gathered) -> str:
    if got.stopped is not None:
        return f"not started: {got.stopped.reason}"
    return f"not started: {got.first_failure!r} failed in an earlier wave"


def _merge(got: Gathered, part: Gathered) -> None:
    got.outputs.update(part.outputs)
    got.missing.update(part.missing)
    got.first_failure = got.first_failure or part.first_failure
    if got.stopped is None and part.stopped is not None:
        got.stopped, got.stopped_job = part.stopped, part.stopped_job
