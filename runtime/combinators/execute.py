"""execute: run a flow at the top level and say whether a budget or cap shaped the result."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import StoppedError
from .base import Note, StepLike, as_step, collecting_notes
from .errors import NotDone

if TYPE_CHECKING:
    from ..model_calls.models import Run, RunSummary


@dataclass(frozen=True)
class Outcome:
    """A flow's result: the output, or the best so far when a budget or cap stopped it."""

    output: Any
    """The flow's output; when `stopped_by` is set, the best result so far (None if none)."""
    stopped_by: str | None
    """The first limit or cap that stopped the run or capped a loop, e.g. "max_usd=0.05 (...)"."""
    finished: bool
    """False when a budget or cap, or a refused step (`not_done`), ended the flow early (output
    is then the best so far)."""
    summary: RunSummary
    """Calls, tokens and dollars the run used."""
    notes: list[Note] = field(default_factory=list)
    """Visible events: fallbacks, skipped or dropped work, failed branches, caps hit."""
    not_done: str | None = None
    """Set when a step under `approval` was refused: which step and how to allow it. The output
    is then the work before that step (e.g. the draft), and the request did not fully happen."""

    @property
    def exit_code(self) -> int:
        """CONTRACTS §4: 0 done, 3 stopped by a budget or cap (best result still printed),
        1 when a refused step left the request undone (the work before it still printed)."""
        if self.not_done:
            return 1
        return 3 if self.stopped_by else 0


async def execute(flow: StepLike, run: Run, value: Any) -> Outcome:
    """Run `flow` on `value`; a StoppedError becomes an Outcome holding the best so far."""
    step = as_step(flow)
    with collecting_notes() as notes:
        try:
            output = await step(run, value)
        except StoppedError as exc:
            run.note_stop(exc)
            return Outcome(exc.best, exc.reason, False, run.summary(), list(notes))
        except NotDone as exc:
            summary = run.summary()
            stopped = summary.stopped_by  # a loop capped before the refusal still says so
            return Outcome(exc.output, stopped, False, summary, list(notes), not_done=str(exc))
    return Outcome(output, run.summary().stopped_by, True, run.summary(), list(notes))


def execute_sync(flow: StepLike, run: Run, value: Any) -> Outcome:
    """`execute` for synchronous callers such as a CLI (not from inside an event loop); the
    model clients opened in the loop are closed before it ends."""
    if getattr(run, "simulated", None) is not None:  # offline: no client is ever opened
        return asyncio.run(execute(flow, run, value))
    from ..model_calls.openai_backend import close_clients

    async def run_and_close() -> Outcome:
        try:
            return await execute(flow, run, value)
        finally:
            await close_clients()

    return asyncio.run(run_and_close())
