"""Approval before side effects: a listed tool runs only after a person's yes.

On a terminal the person is asked (the tool's name and its arguments shown); without one the
call is refused and the model reads why, unless the command line approved the tool up front
(`run --approve TOOL`). Every decision is a note and, when the run has a trace, a trace line.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from .approval_names import gated_steps, tool_key, tools_needing, unknown_approvals
from .base import Step, named, note
from .errors import NotDone

if TYPE_CHECKING:
    from ..model_calls.models import Run

__all__ = [
    "Approval",
    "Decision",
    "gated",
    "gated_steps",
    "terminal_ask",
    "tool_key",
    "tools_needing",
    "unknown_approvals",
]


class Ask(Protocol):
    """Asks a person whether tool NAME may run with ARGUMENTS (JSON text), or, given
    `step_input`, whether step NAME may run on that input; True for yes."""

    def __call__(self, name: str, arguments_json: str, /, *, step_input: str | None = ...) -> bool:
        """The person's answer."""


BY_TERMINAL, BY_FLAG, BY_NO_TERMINAL = "terminal", "flag", "no terminal"
"""Who decided: the person at the terminal, `--approve TOOL`, or nobody (refused)."""


@dataclass(frozen=True)
class Decision:
    """One approval decision."""

    tool: str
    approved: bool
    by: str
    """BY_TERMINAL, BY_FLAG or BY_NO_TERMINAL."""

    def refusal(self) -> str:
        """The tool reply the model reads when the call was refused."""
        if self.by == BY_NO_TERMINAL:
            return (
                f"refused: tool {self.tool!r} needs a person's approval and no terminal is "
                f"attached to ask one (the operator can allow it with `--approve {self.tool}`); "
                "do not call it again, answer without it"
            )
        return f"refused: the person declined tool {self.tool!r}; do not call it again"


@dataclass(frozen=True)
class Approval:
    """Which tools need a yes, which the command line approved, and how to ask a person."""

    tools: frozenset[str]
    """Tools that need approval (settings.json: the agent node's `approval`), by `tool_key`."""
    approved: frozenset[str] = frozenset()
    """Tools approved up front (`run --approve TOOL`), by `tool_key`."""
    ask: Ask | None = None
    """Asks a person; None when no terminal is attached."""

    @classmethod
    def of(
        cls, tools: Iterable[str], approved: Iterable[str] = (), ask: Ask | None = None
    ) -> Approval:
        """A policy from plain lists."""
        return cls(frozenset(map(tool_key, tools)), frozenset(map(tool_key, approved)), ask)

    def needs(self, tool: str) -> bool:
        """Whether `tool` waits for a yes."""
        return tool_key(tool) in self.tools

    async def decide(
        self, run: Run, tool: str, arguments_json: str, *, step_input: str | None = None
    ) -> Decision:
        """Ask (or refuse), then record the decision as a note and a trace line; a gated step
        passes its input as `step_input` so the person is asked about the step, not a tool."""
        if tool_key(tool) in self.approved:
            decision = Decision(tool, True, BY_FLAG)
        elif self.ask is None:
            decision = Decision(tool, False, BY_NO_TERMINAL)
        else:
            ask = self.ask
            if step_input is None:
                yes = await asyncio.to_thread(ask, tool, arguments_json)
            else:
                yes = await asyncio.to_thread(lambda: ask(tool, "", step_input=step_input))
            decision = Decision(tool, yes, BY_TERMINAL)
        verdict = "approved" if decision.approved else "refused"
        if step_input is None:
            note("approval", f"tool {tool!r} {verdict} by {decision.by}")
        elif decision.approved:  # a refused step's note is its NotDone (see `gated`)
            note("approval", f"step {tool!r} approved by {decision.by}")
        if run.trace is not None:
            record = {"tool": tool, "approved": decision.approved, "by": decision.by}
            run.trace.write({"approval": record})
        return decision


SHOWN_CHARS = 500
"""How much of an action step's input the person is shown before saying yes."""


def gated(name: str, step: Step, approval: Approval, *, approve_as: str | None = None) -> Step:
    """An action step of a known flow (named like a tool under `approval`) that runs only after
    a person's yes, as that tool would in an agent. Refused, it does not run and the flow stops
    there with NotDone, which carries the work so far (the step's input) so it is not lost:
    `execute` makes it the result and the run exits 1 (the request did not fully happen).
    `approve_as` is the name the refusal tells to `--approve` (the user's `issue_refund` for
    a category's `billing_issue_refund`); the step's own name by default."""

    async def ask_first(run: Run, value: Any) -> Any:
        text = str(value)
        shown = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."
        decision = await approval.decide(run, name, "", step_input=shown)
        if decision.approved:
            return await step(run, value)
        if decision.by == BY_NO_TERMINAL:
            why = (
                "needs a person's yes and no terminal was attached to ask one; run it on a "
                f"terminal, or allow it with `--approve {approve_as or name}`"
            )
        else:
            why = "was declined by the person at the terminal"
        refused = NotDone(name, why, value)
        note("approval", str(refused))  # the one line on stderr, as it happens (chat included)
        raise refused

    return named(name, ask_first)


def terminal_ask(stdin: TextIO | None = None, out: TextIO | None = None) -> Ask | None:
    """A yes/no prompt on the terminal, or None when stdin is not a terminal."""
    inp = sys.stdin if stdin is None else stdin
    err = sys.stderr if out is None else out
    if not inp.isatty():
        return None

    def ask(name: str, arguments_json: str, /, *, step_input: str | None = None) -> bool:
        if step_input is None:
            err.write(
                f"The model wants to run tool {name!r} with arguments {arguments_json or '{}'}\n"
            )
            err.write("Allow it? [y/N] ")
        else:
            err.write(f"Step {name!r} is about to run on:\n{step_input}\n")
            err.write("Run it? [y/N] ")
        err.flush()
        return inp.readline().strip().lower() in ("y", "yes")

    return ask
