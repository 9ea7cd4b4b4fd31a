"""Fan-outs whose size each request decides, as traces saw them: a map's items, a plan's waves.

A map writes one `{"map": {name, found, ran, max_items}}` line per split: the items the input
held, not only those the cap let run, so the estimate learns the real count and can say when
inputs hold more than `max_items`. Older traces have no such line; there the map's calls, traced
under `MAP>item#N>STEP`, give the items that ran. An orchestrator's planned waves are traced
under `NAME>waveN>...`. The distinct segments under one name in one run are what that request
split into (retries and repairs of an item count once). An orchestrator writes one
`{"plan": {name, planned, ran, max_workers}}` line per plan: the subtasks planned, which may pass
`max_workers` (older traces have none; the estimate then scales `expected_workers` by the
workers' calls).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..combinators.split_trace import MAP, PLAN

ITEM = re.compile(r"^item#\d+$")
"""The trace path segment of one item of a map."""
WAVE = re.compile(r"^wave\d+$")
"""The trace path segment of one wave of an orchestrator's plan."""


def segments_in(calls: Iterable[Mapping[str, Any]], segment: re.Pattern[str]) -> dict[str, int]:
    """Per parent name: the distinct `segment`s below it in one run's call lines."""
    seen: dict[str, set[str]] = {}
    for rec in calls:
        parts = str(rec.get("step", "")).split(">")
        for i in range(len(parts) - 1):
            if segment.match(parts[i + 1]):
                seen.setdefault(parts[i], set()).add(">".join(parts[: i + 2]))
    return {name: len(paths) for name, paths in seen.items()}


def mean_segments(
    runs: Iterable[Iterable[Mapping[str, Any]]], segment: re.Pattern[str]
) -> dict[str, float]:
    """Per parent name: the mean count per request, over the runs in which it appeared."""
    totals: dict[str, list[int]] = {}
    for calls in runs:
        for name, count in segments_in(calls, segment).items():
            totals.setdefault(name, []).append(count)
    return {name: sum(counts) / len(counts) for name, counts in totals.items()}


def items_in(calls: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Per map name: the distinct items one run's call lines show."""
    return segments_in(calls, ITEM)


def waves_in(calls: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Per orchestrator name: the distinct waves one run's call lines show."""
    return segments_in(calls, WAVE)


def mean_waves(runs: Iterable[Iterable[Mapping[str, Any]]]) -> dict[str, float]:
    """Per orchestrator name: mean waves per request, over the runs in which it ran workers."""
    return mean_segments(runs, WAVE)


@dataclass(frozen=True)
class ItemCounts:
    """One map's items over the traced runs it split in."""

    found: float
    """Mean items the inputs held (what the estimate learns as `expected_items`)."""
    ran: float
    """Mean items the map ran (at most `max_items` each time)."""
    most: int
    """The most items one input held."""
    max_items: int | None
    """The largest cap the traced runs had (None: an older trace without map lines)."""
    runs: int
    """Runs the map split in."""
    capped_runs: int
    """Runs whose input held more items than the cap let run."""
    found_each: tuple[int, ...] = ()
    """The items each traced input held, run by run."""

    def within(self, cap: int) -> float:
        """Mean items a cap of `cap` lets run, over the traced inputs (each cut at the cap:
        the mean of the cut counts, not the cut of the mean)."""
        each = self.found_each or (self.found,)
        return sum(min(float(n), cap) for n in each) / len(each)


def item_counts(
    runs: Iterable[tuple[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]]],
) -> dict[str, ItemCounts]:
    """Per map name, over `(call lines, map lines)` per run: the items found and run.

    A map line gives both counts; a map without one (an older trace) counts its distinct
    `item#N` calls, which are the items that ran and, for want of better, the items found.
    """
    seen: dict[str, list[tuple[int, int, int | None]]] = {}
    for calls, maps in runs:
        split: dict[str, tuple[int, int, int | None]] = {
            name: (c.held, c.ran, c.cap) for name, c in MAP.counts(maps).items()
        }
        for name, n in items_in(calls).items():
            split.setdefault(name, (n, n, None))
        for name, counts in split.items():
            seen.setdefault(name, []).append(counts)
    out = {}
    for name, rows in seen.items():
        caps = [cap for _, _, cap in rows if cap is not None]
        out[name] = ItemCounts(
            found=sum(f for f, _, _ in rows) / len(rows),
            ran=sum(r for _, r, _ in rows) / len(rows),
            most=max(f for f, _, _ in rows),
            max_items=max(caps) if caps else None,
            runs=len(rows),
            capped_runs=sum(f > r for f, r, _ in rows),
            found_each=tuple(f for f, _, _ in rows),
        )
    return out


def over_cap_line(name: str, counts: ItemCounts) -> str:
    """The words for a map whose inputs held more items than `max_items` let run."""
    cap = "its cap" if counts.max_items is None else f"max_items={counts.max_items}"
    most = f" (up to {counts.most})" if counts.most > counts.found else ""
    return (
        f"map {name}: inputs held {counts.found:.3g} items on average{most}; "
        f"the map runs at most {cap}, so {counts.capped_runs} of {counts.runs} traced "
        "request(s) left items out: raise max_items in settings.json to cover them "
        "(the estimate prices at most max_items items per request)"
    )


def items_lines(
    items: Mapping[str, float], counts: Mapping[str, ItemCounts] | None = None
) -> list[str]:
    """The report's words for what traces taught about maps (and any inputs over the cap)."""
    out = []
    for name, mean in sorted(items.items()):
        out.append(
            f"map {name}: {mean:.3g} items per request, measured in traces "
            "(replaces expected_items)"
        )
        seen = (counts or {}).get(name)
        if seen is not None and seen.capped_runs:
            out.append(over_cap_line(name, seen))
    return out


def waves_lines(waves: Mapping[str, float]) -> list[str]:
    """The report's words for what traces taught about waves."""
    return [
        f"orchestrator {name}: {mean:.3g} waves per request, measured in traces "
        "(replaces expected_waves)"
        for name, mean in sorted(waves.items())
    ]


@dataclass(frozen=True)
class WorkerCounts:
    """One orchestrator's plans over the traced runs it planned in."""

    planned: float
    """Mean subtasks the plans held (what the estimate learns as `expected_workers`)."""
    ran: float
    """Mean subtasks given to workers (at most `max_workers` each time)."""
    most: int
    """The most subtasks one plan held."""
    max_workers: int
    """The largest cap the traced runs had."""
    runs: int
    """Runs the orchestrator planned in."""
    capped_runs: int
    """Runs whose plan held more subtasks than the cap let run."""
    planned_each: tuple[int, ...] = ()
    """The subtasks each traced plan held, run by run."""

    def within(self, cap: int) -> float:
        """Mean subtasks a cap of `cap` lets run, over the traced plans (each plan cut at the
        cap: the mean of the cut plans, not the cut of the mean)."""
        each = self.planned_each or (self.planned,)
        return sum(min(float(p), cap) for p in each) / len(each)


def worker_counts(runs: Iterable[Sequence[Mapping[str, Any]]]) -> dict[str, WorkerCounts]:
    """Per orchestrator name, over each run's plan lines: the subtasks planned and run."""
    seen: dict[str, list[tuple[int, int, int]]] = {}
    for lines in runs:
        for name, c in PLAN.counts(lines).items():
            seen.setdefault(name, []).append((c.held, c.ran, c.cap))
    return {
        name: WorkerCounts(
            planned=sum(p for p, _, _ in rows) / len(rows),
            ran=sum(r for _, r, _ in rows) / len(rows),
            most=max(p for p, _, _ in rows),
            max_workers=max(cap for _, _, cap in rows),
            runs=len(rows),
            capped_runs=sum(p > r for p, r, _ in rows),
            planned_each=tuple(p for p, _, _ in rows),
        )
        for name, rows in seen.items()
    }


def over_workers_line(name: str, counts: WorkerCounts) -> str:
    """The words for an orchestrator whose plans held more subtasks than `max_workers`."""
    most = f" (up to {counts.most})" if counts.most > counts.planned else ""
    return (
        f"orchestrator {name}: plans held {counts.planned:.3g} subtasks on average{most}; it "
        f"runs at most max_workers={counts.max_workers}, so {counts.capped_runs} of "
        f"{counts.runs} traced request(s) left subtasks out: raise max_workers in settings.json "
        "to cover them (the estimate prices at most max_workers workers per request)"
    )


def workers_lines(counts: Mapping[str, WorkerCounts]) -> list[str]:
    """The report's words for what traces taught about plans (and any plans over the cap)."""
    out = []
    for name, seen in sorted(counts.items()):
        out.append(
            f"orchestrator {name}: {seen.planned:.3g} subtasks planned per request, measured "
            "in traces (replaces expected_workers)"
        )
        if seen.capped_runs:
            out.append(over_workers_line(name, seen))
    return out
