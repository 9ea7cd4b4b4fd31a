"""Errors of `eval` that a user fixes in the command line or its input (exit 2)."""

from __future__ import annotations

from ..errors import WorkflowError


class EvalUsageError(WorkflowError):
    """A mistake in CASES.jsonl, --variant, --against or --optimize (exit 2)."""
