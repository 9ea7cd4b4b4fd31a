"""`wfadvise patterns`."""

from __future__ import annotations

from typing import Any

from ..errors import Failure


def patterns_command(*args: Any, **kwargs: Any) -> None:
    """Placeholder until the issue that builds `wfadvise patterns` lands."""
    raise Failure("`wfadvise patterns` is not built yet")
