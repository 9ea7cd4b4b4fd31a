"""What an orchestrator's plan writes to a trace, and the counts read back from one.

Apart from `orchestrate.py` so the estimate's trace reader (`estimate/calibrate.py`) can learn
how many subtasks plans really held (not only how many `max_workers` let run) without
importing the combinator, as `each_trace.py` does for a map's items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

TRACE_KEY = "plan"
"""The key of a plan's trace line (beside the model calls' `step` lines)."""


@dataclass(frozen=True)
class PlanCount:
    """One orchestrator's plan in one run: the subtasks planned, those run, and its cap."""

    planned: int
    """Subtasks the plan held that a worker could take (unknown types skipped are not counted)."""
    ran: int
    """Subtasks given to workers (at most `max_workers`)."""
    max_workers: int
    """The cap the run had."""

    @property
    def capped(self) -> bool:
        """Whether the cap left planned subtasks out."""
        return self.planned > self.ran


def plan_line(name: str, path: str, count: PlanCount) -> dict[str, Any]:
    """The trace line of one plan: `{"plan": {name, path, planned, ran, max_workers}}`."""
    return {
        TRACE_KEY: {
            "name": name,
            "path": path,
            "planned": count.planned,
            "ran": count.ran,
            "max_workers": count.max_workers,
        }
    }


def plan_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, PlanCount]:
    """Per orchestrator name, the plan one run's plan lines show (other lines are skipped).

    An orchestrator that planned more than once in a run (inside a loop) keeps its largest
    plan; a line with a missing or bad count is skipped, so a hand-edited trace cannot crash
    a reader.
    """
    out: dict[str, PlanCount] = {}
    for rec in records:
        line = rec.get(TRACE_KEY)
        if not isinstance(line, Mapping):
            continue
        figures = [line.get(k) for k in ("planned", "ran", "max_workers")]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in figures):
            continue
        planned, ran, cap = (int(n) for n in figures)  # type: ignore[arg-type]
        name = str(line.get("name", "orchestrate"))
        seen = out.get(name)
        if seen is None or planned > seen.planned:
            out[name] = PlanCount(planned, ran, cap)
    return out
