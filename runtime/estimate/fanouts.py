"""Fan-outs whose size each request decides, as traces saw them: a map's items, a plan's waves.

A map's calls are traced under `MAP>item#N>STEP`, an orchestrator's planned waves under
`NAME>waveN>...`. The distinct segments under one name in one run are what that request split
into (retries and repairs of an item count once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

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


def mean_items(runs: Iterable[Iterable[Mapping[str, Any]]]) -> dict[str, float]:
    """Per map name: mean items per request, over the runs in which that map ran."""
    return mean_segments(runs, ITEM)


def mean_waves(runs: Iterable[Iterable[Mapping[str, Any]]]) -> dict[str, float]:
    """Per orchestrator name: mean waves per request, over the runs in which it ran workers."""
    return mean_segments(runs, WAVE)


def items_lines(items: Mapping[str, float]) -> list[str]:
    """The report's words for what traces taught about maps."""
    return [
        f"map {name}: {mean:.3g} items per request, measured in traces (replaces expected_items)"
        for name, mean in sorted(items.items())
    ]


def waves_lines(waves: Mapping[str, float]) -> list[str]:
    """The report's words for what traces taught about waves."""
    return [
        f"orchestrator {name}: {mean:.3g} waves per request, measured in traces "
        "(replaces expected_waves)"
        for name, mean in sorted(waves.items())
    ]
