"""What a map over items writes to a trace, and the counts read back from one.

Apart from `each.py` so the estimate's trace reader (`estimate/calibrate.py`) can learn how
many items inputs really held (not only how many the cap let run) without importing the
combinator, as `cascade_trace.py` does for a cascade's decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

TRACE_KEY = "map"
"""The key of a map's trace line (beside the model calls' `step` lines)."""


@dataclass(frozen=True)
class MapCount:
    """One map in one run: the items its input held, the items it ran, and its cap."""

    found: int
    """Items the input was split into."""
    ran: int
    """Items the map ran (at most `max_items`)."""
    max_items: int
    """The cap the run had."""

    @property
    def capped(self) -> bool:
        """Whether the cap left items out."""
        return self.found > self.ran


def map_line(name: str, path: str, count: MapCount) -> dict[str, Any]:
    """The trace line of one map's split: `{"map": {name, path, found, ran, max_items}}`."""
    return {
        TRACE_KEY: {
            "name": name,
            "path": path,
            "found": count.found,
            "ran": count.ran,
            "max_items": count.max_items,
        }
    }


def map_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, MapCount]:
    """Per map name, the split one run's map lines show (other lines are skipped).

    A map that split more than once in a run (inside a loop) keeps its largest split; a line
    with a missing or bad count is skipped, so a hand-edited trace cannot crash a reader.
    """
    out: dict[str, MapCount] = {}
    for rec in records:
        line = rec.get(TRACE_KEY)
        if not isinstance(line, Mapping):
            continue
        figures = [line.get(k) for k in ("found", "ran", "max_items")]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in figures):
            continue
        found, ran, cap = (int(n) for n in figures)  # type: ignore[arg-type]
        name = str(line.get("name", "map"))
        seen = out.get(name)
        if seen is None or found > seen.found:
            out[name] = MapCount(found, ran, cap)
    return out
