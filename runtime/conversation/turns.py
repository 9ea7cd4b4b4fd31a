"""One turn of a session: the workflow on the message in context, the state update, and the
summary fold when it is due, all under one run (the settings' per-turn budgets, narrowed to
what is left of the session's).

Why the state update is its own call rather than folded into the reply: the turn's workflow
is any pattern (a chain, a router, a vote...), whose last step's output is the reply the user
reads; making that step also return the state as JSON would change its output type, cost
reply quality on small models and break patterns whose last step is a check or a vote. The
separate call reads only the old state and the latest exchange, so it is short and
constant-size (a small share of a turn's tokens), and it runs after the reply is shown.

Every model step of the workflow sees the conversation: the first (and any step handed the
turn's input, or a Draft/Attempt of it) in its input; any other step (a chain's later steps, a
merge, a map's items, checks too: a check on a reply judges it against what was asked) gets
the conversation section before its prompt (`combinators.step.shared_context`). The state
update and the summary fold run outside it: they read only what their prompts give them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..combinators import execute, llm
from ..combinators.base import StepLike
from ..combinators.step import shared_context
from ..errors import WorkflowError
from ..model_calls.models import Run
from ..settings import ConversationSettings, Settings
from .memory import (
    STATE_PROMPT,
    STATE_STEP,
    SUMMARY_PROMPT,
    SUMMARY_STEP,
    conversation_section,
    state_prompt,
    summary_due,
    summary_input,
    turn_input,
)
from .state import ConversationState, Session, Turn


@dataclass(frozen=True)
class Prompts:
    """The conversation steps' prompt texts: the project's files when present, else defaults."""

    state: str = STATE_PROMPT
    """The state update's prompt ({state} and {exchange} are filled in)."""
    summary: str = SUMMARY_PROMPT
    """The summary fold's prompt ({input} is the summary so far and the new turns)."""

    @classmethod
    def from_folder(cls, folder: Path) -> Prompts:
        """prompts/update_state.md and prompts/summarize_turns.md override the defaults."""

        def read(step: str, default: str) -> str:
            path = folder / f"{step}.md"
            return path.read_text(encoding="utf-8") if path.is_file() else default

        return cls(state=read(STATE_STEP, STATE_PROMPT), summary=read(SUMMARY_STEP, SUMMARY_PROMPT))


@dataclass
class TurnResult:
    """What one turn did."""

    reply: str | None
    """The reply shown to the user (None when a budget stopped the turn before one)."""
    stopped_by: str | None = None
    """The budget or cap that stopped the turn, if one did."""
    summarized: bool = False
    """Whether the turns so far were folded into the summary this turn."""
    notes: list[str] = field(default_factory=list)
    """The workflow's notes (fallbacks, dropped branches), as `run --json` lists them."""
    problems: list[str] = field(default_factory=list)
    """A state update or summary fold that failed after the reply (the old one is kept)."""


async def take_turn(
    session: Session,
    message: str,
    *,
    flow: StepLike,
    run: Run,
    settings: Settings,
    conversation: ConversationSettings,
    prompts: Prompts,
    show: Callable[[Any], str],
    on_reply: Callable[[str], None] | None = None,
) -> TurnResult:
    """Run one turn and update `session` in memory (the caller stores it).

    `on_reply` gets the reply as soon as it exists, before the state update and the fold, so
    the person reads it without waiting for them (and has read it if Ctrl-C stops them).
    """
    keep = conversation.keep_turns
    # The workflow runs on the conversation and the message; a step that gets something else
    # (a chain's reply after correct_mistakes, a merge) reads them before its own prompt.
    inp = turn_input(session, message, keep)
    with shared_context(inp, conversation_section(session, message, keep)):
        outcome = await execute(flow, run, inp)
    notes = [str(n) for n in outcome.notes]
    if outcome.output is None:
        return TurnResult(None, outcome.stopped_by or "no reply", notes=notes)
    turn = Turn(user=message, reply=show(outcome.output))
    session.turns.append(turn)
    if on_reply is not None:
        on_reply(turn.reply)
    if outcome.stopped_by:  # the reply is the best so far; the state waits for the next turn
        return TurnResult(turn.reply, outcome.stopped_by, notes=notes)
    update = llm(
        STATE_STEP,
        state_prompt(prompts.state, session.state, turn),
        response_model=ConversationState,
        max_tokens=settings.max_tokens.get(STATE_STEP),
    )
    # The reply stands whatever happens to the bookkeeping after it: a state update or a fold
    # that fails (a model that never returns valid JSON, a provider error) keeps the old state
    # or summary, says so, and the fold is tried again next turn.
    try:
        updated = await execute(update, run, "")
    except WorkflowError as err:
        return TurnResult(turn.reply, notes=notes, problems=[f"state not updated: {err}"])
    if isinstance(updated.output, ConversationState):
        session.state = updated.output
    if updated.stopped_by:
        return TurnResult(turn.reply, updated.stopped_by, notes=notes)
    if not summary_due(session, conversation.summarize_after):
        return TurnResult(turn.reply, notes=notes)
    fold = llm(SUMMARY_STEP, prompts.summary, max_tokens=settings.max_tokens.get(SUMMARY_STEP))
    try:
        folded = await execute(fold, run, summary_input(session))
    except WorkflowError as err:
        return TurnResult(turn.reply, notes=notes, problems=[f"summary not updated: {err}"])
    done = isinstance(folded.output, str) and bool(folded.output.strip())
    if done:
        session.summary, session.summarized_through = str(folded.output).strip(), len(session.turns)
    return TurnResult(turn.reply, folded.stopped_by, summarized=done, notes=notes)
