"""orchestrate: a planner's typed subtasks, capped, run by workers at once, then synthesized.

With `dependencies=True` the subtasks carry ids and `depends_on`: the plan must be a DAG, and
it runs in waves (`waves.py`), each worker receiving the results of the subtasks it needs.

A plan with more subtasks than `max_workers` is a cap like `max_rounds` (CONTRACTS §4): the
first `max_workers` run and are synthesized (the best result), and the run's `stopped_by` says
`max_workers=K (would reach N)`, so `run` exits 3. Each plan writes a `{"plan": {...}}` trace
line (`split_trace.py`) so the estimate learns how many subtasks plans really hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..caps import clamp_to_cap
from ..dag import dag_problem, levels, plan_list
from ..errors import CapReached, OutputValidationError, StoppedError
from ..scope import scope
from .base import Step, StepLike, as_step, named, note
from .errors import PlanRejected
from .fanout import Gathered, fan_out, scoped_job
from .parallel import OnFailure, settle
from .results import show as _show
from .split_trace import PLAN, Split
from .waves import run_waves

if TYPE_CHECKING:
    from ..model_calls.models import Run


@dataclass(frozen=True)
class Done:
    """One subtask and its worker's output."""

    kind: str
    """The worker that ran it."""
    subtask: Any
    """The subtask as planned."""
    output: Any
    """The worker's output."""


@dataclass
class Work:
    """Everything the workers produced, for the synthesis step (str() renders it for a prompt)."""

    task: Any
    """The orchestrator's input."""
    done: list[Done] = field(default_factory=list)
    """Subtasks that ran, with their outputs, in plan order."""
    missing: dict[str, str] = field(default_factory=dict)
    """Workers that produced nothing, and why."""
    dropped: list[str] = field(default_factory=list)
    """Planned subtasks not run (over max_workers, unknown type), with why (str() lists them,
    so a synthesis can say what its answer leaves out)."""
    waves: list[list[str]] = field(default_factory=list)
    """With dependencies: the workers each wave started, in order (empty otherwise)."""

    def __str__(self) -> str:
        parts = [f"# Task\n{_show(self.task)}"]
        parts += [f"## {d.kind}: {_show(d.subtask)}\n{_show(d.output)}" for d in self.done]
        parts += [f"## {k}: (missing: {why})" for k, why in self.missing.items()]
        if self.dropped:
            parts.append("## Not run\n" + "\n".join(f"- {why}" for why in self.dropped))
        return "\n\n".join(parts)


def orchestrate(
    planner: StepLike,
    workers: Mapping[Any, StepLike],
    *,
    max_workers: int,
    synthesize: StepLike | None = None,
    on_unknown: str = "skip",
    on_empty: StepLike | str = "fail",
    branch_timeout_s: float | None = None,
    concurrency: int | None = None,
    on_failure: OnFailure = "fail",
    dependencies: bool = False,
    name: str = "orchestrate",
) -> Step:
    """Plan subtasks, run at most `max_workers` of them at once, then synthesize the Work.

    `workers` is keyed by subtask class (pydantic model) or by a subtask's `kind` field.
    on_unknown: "skip" (noted), "fail" (PlanRejected) or a worker key to run it instead.
    on_empty (no usable subtask, or a plan that never validated): "fail" (PlanRejected), or a
    step run on the input whose output is returned instead.
    dependencies: subtasks name the ids they need in `depends_on`; a plan that is not a DAG
    (unknown id, self-dependency, cycle) is treated like one that never validated (a model
    planner whose plan model subclasses `runtime.dag.DagPlan` repairs it first). The subtasks
    run in waves, dependencies first; each worker gets a `Briefing` (its subtask and the
    results it depends on), and max_workers keeps the first subtasks in dependency order.
    Subtasks over max_workers are left out as a cap: the ones that ran are synthesized, a "cap"
    note says how many were left out, and the run's `stopped_by` is set (exit 3).
    """
    if max_workers < 1:
        raise ValueError(f"max_workers must be >= 1, got {max_workers}")
    table = {k: as_step(w) for k, w in workers.items()}
    if on_unknown not in ("skip", "fail") and on_unknown not in table:
        raise ValueError(f"on_unknown must be 'skip', 'fail' or a worker key, got {on_unknown!r}")
    plan_step = as_step(planner)
    merge = as_step(synthesize) if synthesize is not None else None
    empty = None if on_empty == "fail" else as_step(on_empty)  # type: ignore[arg-type]

    async def run_orchestrate(run: Run, value: Any) -> Any:
        with scope(name):
            subtasks, why = await _plan(plan_step, run, value)
            if dependencies and subtasks:
                subtasks, why = _in_dependency_order(subtasks)
            work = Work(task=value)
            planned = _assign(subtasks, table, on_unknown, work)
            jobs = _within_cap(planned, max_workers, work)
            PLAN.write(run, name, Split(len(planned), len(jobs), max_workers))
            if not jobs:
                return await _empty(empty, run, value, why or "the plan has no runnable subtask")
            runner = _run_waves if dependencies else _run_workers
            await runner(run, jobs, work, branch_timeout_s, concurrency, on_failure)
            capped = _capped(len(planned), max_workers, dependencies)
            try:
                result = work if merge is None else await merge(run, work)
            except StoppedError as exc:
                exc.best = exc.best if exc.best is not None else work
                raise
            if capped is not None:  # after the synthesis: a budget that stopped it is the reason
                _note_stop(run, capped)
            return result

    return named(name, run_orchestrate)


async def _plan(planner: Step, run: Run, value: Any) -> tuple[list[Any], str | None]:
    try:
        plan = await planner(run, value)
    except OutputValidationError as exc:
        return [], f"the plan never validated ({exc.summary})"
    items = plan_list(plan)
    if items is None:
        return [], f"the planner returned {type(plan).__name__}, not a list of subtasks"
    return items, None


def _in_dependency_order(subtasks: list[Any]) -> tuple[list[Any], str | None]:
    """The subtasks wave by wave (so a cap keeps dependencies), or none and why not a DAG."""
    problem = dag_problem(subtasks)
    if problem:
        return [], f"the plan is not a DAG: {problem}"
    return [subtasks[i] for wave in levels(subtasks) for i in wave], None


def _assign(
    subtasks: list[Any], table: Mapping[Any, Step], on_unknown: str, work: Work
) -> list[tuple[str, Step, Any]]:
    """A `(label, worker, subtask)` job per subtask a worker can take; the rest are skipped."""
    jobs: list[tuple[str, Step, Any]] = []
    for i, sub in enumerate(subtasks, 1):
        kind = kind_of(sub, table) or (None if on_unknown in ("skip", "fail") else on_unknown)
        if kind is None:
            what = f"subtask {i} has unknown type {_type_name(sub)!r} (workers: {_keys(table)})"
            if on_unknown == "fail":
                raise PlanRejected(what)
            note("skipped", f"{what}; skipped")
            work.dropped.append(f"{i}: {what}")
            continue
        jobs.append((f"{_label(kind)}#{i}", table[kind], sub))
    return jobs


def _within_cap(
    jobs: list[tuple[str, Step, Any]], cap: int, work: Work
) -> list[tuple[str, Step, Any]]:
    """The first `cap` jobs (in dependency order, a prefix keeps every dependency it needs);
    the rest go on `work.dropped`, so the synthesis is told what was left out."""
    keep = clamp_to_cap("max_workers", cap, len(jobs))
    for label, _, _ in jobs[keep:]:
        work.dropped.append(f"{label}: over max_workers={cap}")
    return jobs[:keep]


def _capped(planned: int, max_workers: int, dependencies: bool) -> CapReached | None:
    """When the cap left subtasks out, say so as `max_rounds` and `max_items` do: a note now,
    and the cap for the run's `stopped_by`, so the synthesis is the best so far (exit 3)."""
    if planned <= max_workers:
        return None
    cap = CapReached("max_workers", max_workers, planned)
    order = " in dependency order" if dependencies else ""
    note(
        "cap",
        f"plan has {planned} subtasks; ran the first max_workers={max_workers}{order}, left "
        f"{planned - max_workers} out (raise max_workers in settings.json to run them all)",
        cap=cap.reason,
    )
    return cap


def _note_stop(run: Run, cap: CapReached) -> None:
    note_stop = getattr(run, "note_stop", None)  # a bare call with no Run has none
    if note_stop is not None:
        note_stop(cap)


def kind_of(subtask: Any, table: Mapping[Any, Step]) -> Any:
    """The worker key for a subtask: its class (or a base class), else its `kind` field."""
    for key in table:
        if isinstance(key, type) and isinstance(subtask, key):
            return key
    kind = subtask.get("kind") if isinstance(subtask, Mapping) else getattr(subtask, "kind", None)
    return kind if isinstance(kind, str) and kind in table else None


async def _empty(fallback: Step | None, run: Run, value: Any, why: str) -> Any:
    if fallback is None:
        raise PlanRejected(why)
    note("fallback", f"{why}; running the on_empty step instead")
    with scope("on_empty"):
        return await fallback(run, value)


async def _run_workers(
    run: Run,
    jobs: list[tuple[str, Step, Any]],
    work: Work,
    timeout_s: float | None,
    concurrency: int | None,
    on_failure: OnFailure,
) -> None:
    got = await fan_out(
        [(label, scoped_job(run, label, w, s)) for label, w, s in jobs],
        timeout_s=timeout_s,
        concurrency=concurrency or len(jobs),
        fail_fast=on_failure == "fail",
    )
    _settle(got, jobs, work, on_failure)


def _settle(
    got: Gathered, jobs: list[tuple[str, Step, Any]], work: Work, on_failure: OnFailure
) -> None:
    by_label = {label: sub for label, _, sub in jobs}
    try:
        sections = settle(got, on_failure)
    except StoppedError as exc:
        _fill(work, exc.best.outputs, by_label)
        work.missing = dict(got.missing)
        exc.best = work
        raise
    _fill(work, sections.outputs, by_label)
    work.missing = sections.missing


async def _run_waves(
    run: Run,
    jobs: list[tuple[str, Step, Any]],
    work: Work,
    timeout_s: float | None,
    concurrency: int | None,
    on_failure: OnFailure,
) -> None:
    done = await run_waves(
        run,
        jobs,
        timeout_s=timeout_s,
        concurrency=concurrency or len(jobs),
        fail_fast=on_failure == "fail",
    )
    work.waves = done.labels
    _settle(done.got, jobs, work, on_failure)


def _fill(work: Work, outputs: Mapping[str, Any], subtasks: Mapping[str, Any]) -> None:
    for label, out in outputs.items():
        work.done.append(Done(label.rsplit("#", 1)[0], subtasks[label], out))


def _label(key: Any) -> str:
    return key.__name__ if isinstance(key, type) else str(key)


def _type_name(sub: Any) -> str:
    kind = sub.get("kind") if isinstance(sub, Mapping) else getattr(sub, "kind", None)
    return str(kind) if kind is not None else type(sub).__name__


def _keys(table: Mapping[Any, Step]) -> list[str]:
    return sorted(_label(k) for k in table)
