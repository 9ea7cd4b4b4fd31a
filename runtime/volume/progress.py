"""What a batch shows while it runs: a rich progress bar on a terminal, one summary line else."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from .inputs import EXIT_OK, EXIT_STOPPED


@dataclass
class Tally:
    """Rows of a batch by outcome."""

    total: int
    """Requests in the batch (malformed lines included)."""
    ok: int = 0
    """Rows with exit 0."""
    failed: int = 0
    """Rows with exit 1 or 2."""
    stopped: int = 0
    """Rows with exit 3 (a budget or cap stopped them)."""
    spent_usd: float = 0.0
    """Dollars the batch has spent (the shared ledger)."""
    seen: set[str] = field(default_factory=set)
    """Ids counted."""

    def add(self, rid: str, exit_code: int) -> None:
        """Count one row (once per id)."""
        if rid in self.seen:
            return
        self.seen.add(rid)
        if exit_code == EXIT_OK:
            self.ok += 1
        elif exit_code == EXIT_STOPPED:
            self.stopped += 1
        else:
            self.failed += 1

    @property
    def done(self) -> int:
        """Rows written."""
        return self.ok + self.failed + self.stopped

    def exit_code(self) -> int:
        """CONTRACTS §4: 3 when a cap stopped a request, else 1 when one failed, else 0."""
        if self.stopped:
            return EXIT_STOPPED
        return 1 if self.failed else EXIT_OK

    def line(self) -> str:
        """The one-line summary."""
        parts = [f"{self.done}/{self.total} done", f"{self.failed} failed"]
        if self.stopped:
            parts.append(f"{self.stopped} stopped by a budget or cap")
        parts.append(f"${self.spent_usd:.4f} spent")
        return ", ".join(parts)


class Progress:
    """A live bar (done, failed, $ spent, ETA) when `stream` is a terminal; silent otherwise."""

    def __init__(self, tally: Tally, stream: TextIO = sys.stderr) -> None:
        self.tally = tally
        self._bar: Any = None
        self._task: Any = None
        if stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("batch"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed  ${task.fields[usd]:.4f}"),
                TimeRemainingColumn(),
                console=Console(file=stream),
                transient=False,
            )
            self._task = self._bar.add_task("batch", total=tally.total, failed=0, usd=0.0)
            self._bar.start()

    def update(self) -> None:
        """Redraw from the tally."""
        if self._bar is not None:
            t = self.tally
            self._bar.update(
                self._task, completed=t.done, failed=t.failed + t.stopped, usd=t.spent_usd
            )

    def close(self) -> None:
        """Stop the bar."""
        if self._bar is not None:
            self.update()
            self._bar.stop()
