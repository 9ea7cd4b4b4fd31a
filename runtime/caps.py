"""Named step caps (rounds, workers, steps, calls) that the pattern combinators enforce."""

from __future__ import annotations

import threading

from .errors import CapReached

DEFAULT_MAX_TOKENS = 1024
"""Completion tokens a model step may take when settings.json gives it no `max_tokens`: what
`Run.call` asks for and what the estimate's worst case counts."""

MAX_REPAIRS = 3
"""Repairs a structured step may take when its output fails validation (the reply and its
errors are sent back); the estimate's worst case counts exactly these."""


class Cap:
    """A counter that raises CapReached when taking one more would pass its limit."""

    def __init__(self, name: str, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"cap {name} must be >= 0, got {limit}")
        self.name = name
        """Cap name as users see it, e.g. "max_rounds"."""
        self.limit = limit
        """How many may be taken."""
        self._used = 0
        self._lock = threading.Lock()

    def take(self, n: int = 1) -> int:
        """Take n more; returns the new count, or raises CapReached (taking nothing)."""
        with self._lock:
            if self._used + n > self.limit:
                raise CapReached(self.name, self.limit, self._used + n)
            self._used += n
            return self._used

    @property
    def used(self) -> int:
        """How many have been taken."""
        return self._used

    @property
    def remaining(self) -> int:
        """How many may still be taken."""
        return self.limit - self._used


def check_cap(name: str, limit: int, value: int) -> None:
    """Raise CapReached when `value` passes `limit` (for caps counted by the caller)."""
    if value > limit:
        raise CapReached(name, limit, value)


def clamp_to_cap(name: str, limit: int, wanted: int) -> int:
    """How many of `wanted` fit under `limit` (e.g. planned workers above max_workers)."""
    if limit < 0:
        raise ValueError(f"cap {name} must be >= 0, got {limit}")
    return min(wanted, limit)
