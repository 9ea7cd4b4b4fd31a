"""`wfadvise estimate`."""

from __future__ import annotations

from typing import Any

from ..errors import Failure


def estimate_command(*args: Any, **kwargs: Any) -> None:
    """Placeholder until the issue that builds `wfadvise estimate` lands."""
    raise Failure("`wfadvise estimate` is not built yet")
