"""A map over items (`each`) as traces saw it: how many items each request split into.

A map's calls are traced under `MAP>item#N>STEP`; the distinct `item#N` under one map in one
run are the items that request was split into (retries and repairs of an item count once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_ITEM = re.compile(r"^item#\d+$")
"""The trace path segment of one item of a map."""


def items_in(calls: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Per map name: the distinct items one run's call lines show."""
    seen: dict[str, set[str]] = {}
    for rec in calls:
        parts = str(rec.get("step", "")).split(">")
        for i in range(len(parts) - 1):
            if _ITEM.match(parts[i + 1]):
                seen.setdefault(parts[i], set()).add(">".join(parts[: i + 2]))
    return {name: len(paths) for name, paths in seen.items()}


def mean_items(runs: Iterable[Iterable[Mapping[str, Any]]]) -> dict[str, float]:
    """Per map name: mean items per request, over the runs in which that map ran."""
    totals: dict[str, list[int]] = {}
    for calls in runs:
        for name, count in items_in(calls).items():
            totals.setdefault(name, []).append(count)
    return {name: sum(counts) / len(counts) for name, counts in totals.items()}


def items_lines(items: Mapping[str, float]) -> list[str]:
    """The report's words for what traces taught about maps."""
    return [
        f"map {name}: {mean:.3g} items per request, measured in traces (replaces expected_items)"
        for name, mean in sorted(items.items())
    ]
