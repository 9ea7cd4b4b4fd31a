"""execute: run a flow at the top level and say whether a budget or cap shaped the result."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, is_dataclass
from typing import TYPE_CHECKING, Any

from ..errors import StoppedError
from .base import Note, StepLike, as_step, collecting_notes
from .errors import GateFailed, NotDone

if TYPE_CHECKING:
    from ..model_calls.models import Run, RunSummary


@dataclass(frozen=True)
class Outcome:
    """A flow's result: the output, or the best so far when a budget or cap stopped it."""

    output: Any
    """The flow's output; when `stopped_by` is set, the best result so far (None if none; see
    `empty` for a pattern's partial result that holds nothing yet)."""
    stopped_by: str | None
    """The first limit or cap that stopped the run or capped a loop, e.g. "max_usd=0.05 (...)"."""
    finished: bool
    """True only for a complete result: False whenever `stopped_by` is set (a budget stopped
    the flow, or a cap such as max_rounds or max_items shaped its result), or a refused step
    (`not_done`) or a failed check (`failed`) ended it. A script tells a capped run by this."""
    summary: RunSummary
    """Calls, tokens and dollars the run used."""
    notes: list[Note] = field(default_factory=list)
    """Visible events: fallbacks, skipped or dropped work, failed branches, caps hit."""
    not_done: str | None = None
    """Set when a step under `approval` was refused: which step and how to allow it. The output
    is then the work before that step (e.g. the draft), and the request did not fully happen."""
    failed: str | None = None
    """Set (with `keep_rejected=True`) when a check or gate rejected the artifact: the reason,
    e.g. "gate after step 'check_letter' failed: too rude". The output is then the artifact it
    judged (paid for, and a check's verdict never replaces it); the request failed (exit 1)."""

    @property
    def empty(self) -> bool:
        """True when the run ended before any result a person could use: no output, empty
        text, an agent with no words, a vote with no vote cast, an orchestrator stopped before
        any worker. The command line then prints no result (`--json`: output null)."""
        return not self.finished and no_result(self.output)

    @property
    def exit_code(self) -> int:
        """CONTRACTS §4: 0 done, 3 stopped by a budget or cap (best result still printed),
        1 when a refused step left the request undone or a check rejected the artifact (the
        work so far still printed)."""
        if self.not_done or self.failed:
            return 1
        return 3 if self.stopped_by else 0


async def execute(flow: StepLike, run: Run, value: Any, *, keep_rejected: bool = False) -> Outcome:
    """Run `flow` on `value`; a StoppedError becomes an Outcome holding the best so far.

    With `keep_rejected`, a GateFailed (a check or gate rejected the artifact) becomes an
    Outcome too, holding the rejected artifact and the reason in `failed`; without, it raises.
    """
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
        except GateFailed as exc:
            if not keep_rejected:
                raise
            summary = run.summary()
            return Outcome(
                exc.output, summary.stopped_by, False, summary, list(notes), failed=str(exc)
            )
    summary = run.summary()
    stopped = summary.stopped_by  # a cap (max_rounds, max_items...) that shaped the result
    return Outcome(output, stopped, stopped is None, summary, list(notes))


def execute_sync(flow: StepLike, run: Run, value: Any, *, keep_rejected: bool = False) -> Outcome:
    """`execute` for synchronous callers such as a CLI (not from inside an event loop); the
    model clients opened in the loop are closed before it ends."""
    if getattr(run, "simulated", None) is not None:  # offline: no client is ever opened
        return asyncio.run(execute(flow, run, value, keep_rejected=keep_rejected))
    from ..model_calls.openai_backend import close_clients

    async def run_and_close() -> Outcome:
        try:
            return await execute(flow, run, value, keep_rejected=keep_rejected)
        finally:
            await close_clients()

    return asyncio.run(run_and_close())


HOLDERS = ("output", "tally", "done", "outputs")
"""Where a pattern's result dataclass keeps what it holds: AgentResult's and Refined's `output`
(the answer or draft inside), VoteResult's `tally` (the votes cast), orchestrate's `Work.done`
(the workers' results), parallel's `Sections.outputs`. Read by name, on dataclasses only (never
on a response model), so execute need not import patterns a project does not use."""


def no_result(value: Any) -> bool:
    """Whether a result holds nothing a person could use: None, blank text, an agent with no
    words, a vote with no vote cast, a pattern's scaffold around no work (an orchestrator
    stopped before any worker, a parallel stage before any branch)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if is_dataclass(value) and not isinstance(value, type):
        for name in HOLDERS:
            if hasattr(value, name):
                held = getattr(value, name)
                return no_result(held) if name == "output" else not held
    return False
