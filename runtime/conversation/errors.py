"""Errors of `chat` that a user fixes in the command line (exit 2) or that stop a session."""

from __future__ import annotations

from ..errors import WorkflowError


class ChatUsageError(WorkflowError):
    """A mistake in the command line: a bad session id, database URL or command (exit 2)."""


class SessionNotFound(ChatUsageError):
    """`--session ID` names no stored session and the command needs one (e.g. `--reset`)."""
