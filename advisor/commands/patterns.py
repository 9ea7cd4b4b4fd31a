"""`wfadvise patterns [ID]`: the ladder as a table, or one pattern in depth."""

from __future__ import annotations

import difflib

from rich.console import Console

from runtime.plan import PATTERN_IDS

from ..display import show_ladder, show_pattern
from ..errors import UserError


def patterns_command(pattern_id: str | None) -> None:
    """Print the ladder, or one pattern; an unknown id names the valid ones."""
    console = Console()
    if pattern_id is None:
        show_ladder(console)
        return
    if pattern_id not in PATTERN_IDS:
        close = difflib.get_close_matches(pattern_id, PATTERN_IDS, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise UserError(
            f"unknown pattern {pattern_id!r}; {hint}valid ids: {', '.join(PATTERN_IDS)}"
        )
    show_pattern(pattern_id, console)
