"""What a session remembers: the state of seed 003's stateful-conversation pattern, the
rolling summary and every turn verbatim (the store keeps them; the context uses a few)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import ChatUsageError

Phase = Literal["discovery", "analysis", "recommendation", "done"]

SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""A session id: letters, digits, '_', '.', '-', at most 64 characters (it is a key and a name)."""


class ConversationState(BaseModel):
    """The session state a model updates after every turn (structured output)."""

    model_config = ConfigDict(extra="ignore")

    goal: str = Field(default="", max_length=500)
    """What the user is trying to accomplish, in one sentence ('' until it is known)."""
    facts: list[str] = Field(default_factory=list, max_length=40)
    """Facts the user gave or the conversation established (preferences included)."""
    decisions: list[str] = Field(default_factory=list, max_length=40)
    """Decisions made so far, each with its reason."""
    phase: Phase = "discovery"
    """Where the conversation is: discovery, analysis, recommendation, done."""


class Turn(BaseModel):
    """One exchange, stored verbatim."""

    user: str
    """The user's message."""
    reply: str
    """The reply the user saw."""


class Session(BaseModel):
    """A stored session: its state, its rolling summary and its turns, with what it spent."""

    session_id: str
    """The id `--session` continues it by."""
    state: ConversationState = Field(default_factory=ConversationState)
    """The state after the last turn."""
    summary: str = ""
    """The rolling summary of turns 1..summarized_through ('' before the first fold)."""
    summarized_through: int = 0
    """How many of the first turns the summary covers."""
    turns: list[Turn] = Field(default_factory=list)
    """Every turn, oldest first."""
    spent_usd: float = 0.0
    """Dollars every turn of the session spent, in every process."""
    calls: int = 0
    """Model calls (attempts included) every turn of the session made."""


def check_session_id(value: str) -> str:
    """A valid session id, or ChatUsageError naming the rule."""
    if not SESSION_ID.match(value):
        raise ChatUsageError(
            f"--session {value[:40]!r} is not a session id: use letters, digits, '_', '.' or "
            "'-' (at most 64, starting with a letter or digit), or leave it out for a new one"
        )
    return value
