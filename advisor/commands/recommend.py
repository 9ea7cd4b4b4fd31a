"""`wfadvise recommend`."""

from __future__ import annotations

from typing import Any

from ..errors import Failure


def recommend_command(*args: Any, **kwargs: Any) -> None:
    """Placeholder until the issue that builds `wfadvise recommend` lands."""
    raise Failure("`wfadvise recommend` is not built yet")
