"""`wfadvise update`."""

from __future__ import annotations

from typing import Any

from ..errors import Failure


def update_command(*args: Any, **kwargs: Any) -> None:
    """Placeholder until the issue that builds `wfadvise update` lands."""
    raise Failure("`wfadvise update` is not built yet")
