"""What a turn sends (seed 003's context summarization): the rolling summary, the state, the
recent turns verbatim and the new message; and when the turns are folded into the summary.

A reply sees every turn since the last fold, and at least the last `keep_turns` turns: so it
sees between `keep_turns` and `summarize_after - 1` turns verbatim, never the whole history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .state import ConversationState, Session, Turn

if TYPE_CHECKING:
    from ..catalog import StepKind

STATE_STEP = "update_state"
"""The model step that updates the session state after each turn (structured output)."""
SUMMARY_STEP = "summarize_turns"
"""The model step that folds the turns so far into the rolling summary."""
CONVERSATION_KINDS: dict[str, StepKind] = {STATE_STEP: "evaluate", SUMMARY_STEP: "generate"}
"""The model steps a conversation adds to the turn's own workflow, as the step kinds that size
and price them: the state is a short structured object (like a verdict, a small model does),
the summary a generated text."""

STATE_PROMPT = """You keep the state of a conversation between a user and an assistant.

Current state (JSON):
{state}

The latest exchange:
{exchange}

Update the state: add what the user told us or what was established (facts, preferences),
record decisions with their reasons, keep the user's goal in one sentence, drop what was
superseded, and set the phase (discovery, analysis, recommendation or done).
Reply with the updated state as a JSON object only.
"""

SUMMARY_PROMPT = """Summarize this conversation so far, preserving what matters later: the
user's goal and preferences, facts gathered, decisions made with their reasons, where things
stand and what should happen next. Drop chit-chat and questions already resolved.
Reply with the summary only, at most a few short paragraphs.

{input}
"""


def turn_input(session: Session, message: str, keep_turns: int) -> str:
    """The text the turn's workflow runs on: the message alone in a new session, else the
    summary, the state and the recent turns before it."""
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
    if not parts:
        return message
    return "\n\n".join([*parts, "# The user's new message\n" + message])


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
