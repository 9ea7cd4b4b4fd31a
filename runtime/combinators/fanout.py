"""Run named jobs at once, under a concurrency limit and a per-job timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import StoppedError
from ..scope import scope
from .base import Step

if TYPE_CHECKING:
    from ..model_calls.models import Run

Job = Callable[[], Awaitable[Any]]


class _Partial:
    """Where a job's loop leaves its latest draft, read back if the job is cut short."""

    value: Any = None


_PARTIAL: ContextVar[_Partial | None] = ContextVar("fanout_partial", default=None)


def keep_partial(value: Any) -> None:
    """Offer the enclosing fan-out job's work so far (a refine loop's latest draft): if a
    timeout cuts the job, the fan-out keeps it in `Gathered.partial` instead of losing it."""
    holder = _PARTIAL.get()
    if holder is not None and value is not None:
        holder.value = value


def scoped_job(run: Run, label: str, step: Step, value: Any) -> Job:
    """A job that runs `step` on `value` under the step-path segment `label`."""

    async def job() -> Any:
        with scope(label):
            return await step(run, value)

    return job


@dataclass
class Gathered:
    """What a fan-out produced: outputs by job, what is missing and why, and any stop."""

    outputs: dict[str, Any] = field(default_factory=dict)
    """Outputs of the jobs that finished, in job order."""
    missing: dict[str, str] = field(default_factory=dict)
    """Jobs without an output, with the reason (error, timeout, cancelled)."""
    first_failure: str | None = None
    """The first job that failed or timed out, if any."""
    stopped: StoppedError | None = None
    """A budget or cap stop raised inside a job; the caller re-raises it with its best."""
    stopped_job: str | None = None
    """Which job the stop came from."""
    partial: dict[str, Any] = field(default_factory=dict)
    """Jobs cut by the timeout that had left work so far (`keep_partial`): that work."""


async def fan_out(
    jobs: Sequence[tuple[str, Job]],
    *,
    timeout_s: float | None,
    concurrency: int,
    fail_fast: bool,
) -> Gathered:
    """Run every job; one slow job never holds the others past its own timeout.

    A budget or cap stop in one job never cancels work already under way (a call in flight is
    billed whatever happens to it): running jobs finish and keep their outputs; only jobs still
    waiting for a slot are not started. A failure under fail_fast cancels the rest.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    gate = asyncio.Semaphore(concurrency)
    got = Gathered()

    async def bounded(key: str, job: Job) -> Any:
        async with gate:  # the timeout starts when the job gets a slot, not while it queues
            if got.stopped is not None:
                raise _NotStarted()
            if timeout_s is None:
                return await job()
            holder = _Partial()
            _PARTIAL.set(holder)  # this task's context only; the job's task inherits it
            try:
                return await asyncio.wait_for(job(), timeout_s)
            except asyncio.TimeoutError:
                if holder.value is not None:
                    got.partial[key] = holder.value
                raise

    tasks: dict[asyncio.Future[Any], str] = {
        asyncio.ensure_future(bounded(key, job)): key for key, job in jobs
    }
    pending: set[asyncio.Future[Any]] = set(tasks)
    try:
        while pending and not (fail_fast and got.first_failure and got.stopped is None):
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                _collect(got, tasks[task], task, timeout_s)
    finally:
        for task in pending:
            task.cancel()
            got.missing.setdefault(tasks[task], "cancelled")
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    order = [key for key, _ in jobs]
    got.outputs = {k: got.outputs[k] for k in order if k in got.outputs}
    got.missing = {k: got.missing[k] for k in order if k in got.missing}
    return got


class _NotStarted(Exception):
    """A job still waiting for a slot when another job's stop came: never started, never paid."""


def _collect(got: Gathered, key: str, task: asyncio.Future[Any], timeout_s: float | None) -> None:
    exc = task.exception()
    if exc is None:
        got.outputs[key] = task.result()
        return
    if isinstance(exc, _NotStarted):
        assert got.stopped is not None
        got.missing[key] = f"not started: {got.stopped.reason}"
        return
    if isinstance(exc, StoppedError):
        got.missing[key] = f"stopped: {exc.reason}"
        if got.stopped is None:
            got.stopped, got.stopped_job = exc, key
        return
    if not isinstance(exc, Exception):
        raise exc
    if isinstance(exc, asyncio.TimeoutError) and timeout_s is not None:
        got.missing[key] = f"timed out after {timeout_s:g}s"
    else:
        got.missing[key] = f"{type(exc).__name__}: {exc}"
    got.first_failure = got.first_failure or key
