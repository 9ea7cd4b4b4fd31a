"""What a fan-out whose size the input decides writes to a trace, and the counts read back.

A map's items (`{"map": {name, path, found, ran, max_items}}`) and an orchestrator's plan
(`{"plan": {name, path, planned, ran, max_workers}}`) are the same record: how many the input
held, how many the cap let run, and the cap. One line per split, so the estimate's trace reader
(`estimate/calibrate.py`) can learn what inputs really hold, not only what the cap let run,
without importing the combinators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..scope import SEPARATOR, current_path

if TYPE_CHECKING:
    from ..model_calls.models import Run


@dataclass(frozen=True)
class Split:
    """One fan-out in one run: what the input held, what ran, and the cap it had."""

    held: int
    """Items the input was split into, or subtasks the plan held that a worker could take."""
    ran: int
    """Items or subtasks that ran (at most the cap)."""
    cap: int
    """The cap the run had (`max_items`, `max_workers`)."""

    @property
    def capped(self) -> bool:
        """Whether the cap left some out."""
        return self.held > self.ran


@dataclass(frozen=True)
class SplitKind:
    """One kind of split line: its trace key and the names its counts go by."""

    key: str
    """The key of the trace line (beside the model calls' `step` lines)."""
    held: str
    """The name of the count held (`found`, `planned`)."""
    cap: str
    """The name of the cap (`max_items`, `max_workers`)."""
    unnamed: str
    """The name a line without one is read under."""

    def line(self, name: str, path: str, split: Split) -> dict[str, Any]:
        """The trace line of one split."""
        counts = {self.held: split.held, "ran": split.ran, self.cap: split.cap}
        return {self.key: {"name": name, "path": path, **counts}}

    def write(self, run: Run, name: str, split: Split) -> None:
        """Write the split's line to the run's trace, if it has one."""
        trace = getattr(run, "trace", None)  # a bare call with no Run has none
        if trace is not None:
            trace.write(self.line(name, SEPARATOR.join(current_path()), split))

    def counts(self, records: Iterable[Mapping[str, Any]]) -> dict[str, Split]:
        """Per name, the split one run's lines of this kind show (other lines are skipped).

        A fan-out that split more than once in a run (inside a loop) keeps its largest split;
        a line with a missing or bad count is skipped, so a hand-edited trace cannot crash a
        reader.
        """
        out: dict[str, Split] = {}
        for rec in records:
            line = rec.get(self.key)
            if not isinstance(line, Mapping):
                continue
            figures = [line.get(k) for k in (self.held, "ran", self.cap)]
            if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in figures):
                continue
            held, ran, cap = (int(n) for n in figures)  # type: ignore[arg-type]
            name = str(line.get("name", self.unnamed))
            seen = out.get(name)
            if seen is None or held > seen.held:
                out[name] = Split(held, ran, cap)
        return out


MAP = SplitKind(key="map", held="found", cap="max_items", unnamed="map")
"""A map over items (`each.py`): the items an input held and those `max_items` let run."""
PLAN = SplitKind(key="plan", held="planned", cap="max_workers", unnamed="orchestrate")
"""An orchestrator's plan (`orchestrate.py`): the subtasks planned and those given to workers."""
