"""The model steps a conversation adds to a turn, and their default prompts.

Apart from `memory.py` (what a turn sends, read from a session) so the estimate prices a turn
without importing the session models, and a project without `chat` vendors only this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
