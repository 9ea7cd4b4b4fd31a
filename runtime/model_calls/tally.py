"""Per-step totals of a run (calls, tokens, dollars), taken from the records it traces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .structured import REFUSED_KEY

if TYPE_CHECKING:
    from .models import Run
    from .trace import Trace


@dataclass
class StepTotals:
    """What one step used over a run (every attempt, repair, round and worker)."""

    name: str
    """The step's name (the last segment of its trace path)."""
    model: str
    """The model it called."""
    calls: int = 0
    """Calls made, failed attempts included."""
    tokens: int = 0
    """Prompt plus completion tokens charged."""
    cost_usd: float | None = None
    """Dollars charged (None while the model has no known price)."""

    def as_dict(self) -> dict[str, Any]:
        """The record `run --json` prints under `steps`."""
        cost = None if self.cost_usd is None else round(self.cost_usd, 8)
        return {
            "name": self.name,
            "model": self.model,
            "calls": self.calls,
            "tokens": self.tokens,
            "cost_usd": cost,
        }


class StepTally:
    """Sums call records per step, passing every record on to the trace file (if any)."""

    def __init__(self, inner: Trace | None) -> None:
        self.inner = inner
        """The trace file that still gets every line, or None."""
        self._steps: dict[str, StepTotals] = {}

    def write(self, record: dict[str, Any]) -> None:
        """Count a call record; forward every record."""
        # A format the server refused did no work and is not a call (the summary agrees).
        if not record.get("summary") and "step" in record and REFUSED_KEY not in record:
            name = str(record["step"]).rsplit(">", 1)[-1]
            totals = self._steps.setdefault(name, StepTotals(name, str(record.get("model", ""))))
            totals.calls += 1
            totals.tokens += _int(record.get("prompt_tokens")) + _int(
                record.get("completion_tokens")
            )
            cost = record.get("cost_usd")
            if isinstance(cost, (int, float)):
                totals.cost_usd = (totals.cost_usd or 0.0) + cost
        if self.inner is not None:
            self.inner.write(record)

    def close(self) -> None:
        """Close the trace file."""
        if self.inner is not None:
            self.inner.close()

    def steps(self) -> list[StepTotals]:
        """Every step that made a call, in the order of its first call."""
        return list(self._steps.values())


def track_steps(run: Run) -> StepTally:
    """Make `run` count calls, tokens and dollars per step (its trace file still gets it all)."""
    tally = StepTally(run.trace)
    run.trace = tally  # type: ignore[assignment]  # duck-typed: the run only writes and closes
    return tally


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) else 0
