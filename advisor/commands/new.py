"""`wfadvise new`."""

from __future__ import annotations

from typing import Any

from ..errors import Failure


def new_command(*args: Any, **kwargs: Any) -> None:
    """Placeholder until the issue that builds `wfadvise new` lands."""
    raise Failure("`wfadvise new` is not built yet")
