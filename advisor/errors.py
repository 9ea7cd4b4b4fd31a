"""The one family of errors a user can cause; the CLI turns them into a line and an exit code."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix; the message says what went wrong and what to do."""

    exit_code = 2


class Interrupted(UserError):
    """The user pressed Ctrl-C; nothing was written."""

    exit_code = 130


class Failure(UserError):
    """Something outside the user's input failed (exit 1)."""

    exit_code = 1
