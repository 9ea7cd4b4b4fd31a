"""Errors of `batch` and `worker` that a user fixes in the command line or its input (exit 2)."""

from __future__ import annotations

from ..errors import WorkflowError


class VolumeUsageError(WorkflowError):
    """A mistake in the command line, INPUT.jsonl or the database URL (exit 2)."""


class DuplicateIdError(VolumeUsageError):
    """Two lines of INPUT.jsonl carry the same id."""


class StoreUnreachable(VolumeUsageError):
    """The database given by --db (or DBOS_SYSTEM_DATABASE_URL) cannot be reached."""
