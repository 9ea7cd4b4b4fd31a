"""What a turn sends (seed 003's context summarization): the rolling summary, the state, the
recent turns verbatim and the new message; and when the turns are folded into the summary.

A reply sees every turn since the last fold, and at least the last `keep_turns` turns: so it
sees between `keep_turns` and `summarize_after - 1` turns verbatim, never the whole history.
"""

from __future__ import annotations

# The added steps and their prompts, re-exported where they were first defined.
from .prompts import CONVERSATION_KINDS as CONVERSATION_KINDS
from .prompts import STATE_PROMPT as STATE_PROMPT
from .prompts import STATE_STEP as STATE_STEP
from .prompts import SUMMARY_PROMPT as SUMMARY_PROMPT
from .prompts import SUMMARY_STEP as SUMMARY_STEP
from .state import ConversationState, Session, Turn

NEW_MESSAGE_HEADING = "# The user's new message\n"
STEP_INPUT_HEADING = "\n\n# Your input for this step\n"
"""Ends the conversation section a turn's later step reads before its own prompt."""


def turn_input(session: Session, message: str, keep_turns: int) -> str:
    """The text the turn's workflow runs on: the message alone in a new session, else the
    summary, the state and the recent turns before it."""
    parts = context_parts(session, keep_turns)
    if not parts:
        return message
    return "\n\n".join([*parts, NEW_MESSAGE_HEADING + message])


def conversation_section(session: Session, message: str, keep_turns: int) -> str:
    """What a step of the turn whose input is not the turn's input reads before its prompt
    (a chain's reply after a first step): the conversation and the new message, headed."""
    parts = [*context_parts(session, keep_turns), NEW_MESSAGE_HEADING + message]
    return "\n\n".join(parts) + STEP_INPUT_HEADING


def context_parts(session: Session, keep_turns: int) -> list[str]:
    """The summary, the state and the recent turns, each under its heading (none when new)."""
    recent = recent_turns(session, keep_turns)
    parts: list[str] = []
    if session.summary:
        parts.append(
            f"# Summary of the conversation (turns 1-{session.summarized_through})\n"
            + session.summary
        )
    if session.state != ConversationState():
        parts.append("# What we know so far\n" + state_text(session.state))
    if recent:
        parts.append("# Recent turns, verbatim\n" + exchanges(recent))
    return parts


def recent_turns(session: Session, keep_turns: int) -> list[Turn]:
    """The turns a reply sees verbatim: every turn after the summary, at least `keep_turns`."""
    start = max(0, min(session.summarized_through, len(session.turns) - keep_turns))
    return session.turns[start:]


def summary_due(session: Session, summarize_after: int) -> bool:
    """Whether the turns since the last fold are `summarize_after` or more (fold them now)."""
    return len(session.turns) - session.summarized_through >= summarize_after


def summary_input(session: Session) -> str:
    """What the summary call reads: the summary so far and the turns it does not cover yet."""
    new = session.turns[session.summarized_through :]
    head = f"# Summary so far\n{session.summary}\n\n" if session.summary else ""
    first = session.summarized_through + 1
    return f"{head}# Turns {first}-{first + len(new) - 1}\n{exchanges(new)}"


def state_prompt(template: str, state: ConversationState, turn: Turn) -> str:
    """The state update's prompt: its template with the state and the latest exchange."""
    return template.replace("{state}", state.model_dump_json(indent=2)).replace(
        "{exchange}", exchanges([turn])
    )


def state_text(state: ConversationState) -> str:
    """The state as short lines a model (and a person, with /state) reads."""
    lines = [f"goal: {state.goal or '(not known yet)'}", f"phase: {state.phase}"]
    lines += [f"fact: {f}" for f in state.facts]
    lines += [f"decision: {d}" for d in state.decisions]
    return "\n".join(lines)


def exchanges(turns: list[Turn]) -> str:
    """Turns as `User:` / `Assistant:` lines."""
    return "\n".join(f"User: {t.user}\nAssistant: {t.reply}" for t in turns)
