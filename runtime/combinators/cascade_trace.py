"""What a cascade writes to a trace, and the count of its decisions read back from one.

Apart from `cascade.py` so the estimate's trace reader (`estimate/calibrate.py`) can count
escalations without importing (and a project without a cascade vendoring) the combinator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

TRACE_KEY = "cascade"
"""The key of a cascade decision's trace line (beside the model calls' `step` lines)."""


@dataclass(frozen=True)
class Escalations:
    """Cascade decisions counted from a trace: how many were made and how many escalated."""

    decided: int = 0
    """Answers the check judged."""
    escalated: int = 0
    """Answers sent on to the strong model."""

    @property
    def rate(self) -> float | None:
        """The share escalated (None when nothing was decided)."""
        return self.escalated / self.decided if self.decided else None


def escalations(records: Iterable[Mapping[str, Any]]) -> dict[str, Escalations]:
    """Per cascade name, the decisions among trace records (other lines are skipped)."""
    counts: dict[str, tuple[int, int]] = {}
    for rec in records:
        decision = rec.get(TRACE_KEY)
        if not isinstance(decision, Mapping):
            continue
        key = str(decision.get("name", "cascade"))
        decided, escalated = counts.get(key, (0, 0))
        counts[key] = (decided + 1, escalated + (decision.get("escalated") is True))
    return {key: Escalations(d, e) for key, (d, e) in counts.items()}
