"""Planned subtasks with dependencies as traces saw them: how many waves each request's plan had.

A worker of an orchestrator with dependencies is traced under `ORCHESTRATOR>waveN>LABEL>STEP`
(`combinators/waves.py`); the distinct `waveN` under one orchestrator in one run are the waves
that request waited through, one worker call deep each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_WAVE = re.compile(r"^wave\d+$")
"""The trace path segment of one wave of an orchestrator's plan."""


def waves_in(calls: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Per orchestrator name: the distinct waves one run's call lines show."""
    seen: dict[str, set[str]] = {}
    for rec in calls:
        parts = str(rec.get("step", "")).split(">")
        for i in range(len(parts) - 1):
            if _WAVE.match(parts[i + 1]):
                seen.setdefault(parts[i], set()).add(">".join(parts[: i + 2]))
    return {name: len(paths) for name, paths in seen.items()}


def mean_waves(runs: Iterable[Iterable[Mapping[str, Any]]]) -> dict[str, float]:
    """Per orchestrator name: mean waves per request, over the runs in which it ran workers."""
    totals: dict[str, list[int]] = {}
    for calls in runs:
        for name, count in waves_in(calls).items():
            totals.setdefault(name, []).append(count)
    return {name: sum(counts) / len(counts) for name, counts in totals.items()}


def waves_lines(waves: Mapping[str, float]) -> list[str]:
    """The report's words for what traces taught about waves."""
    return [
        f"orchestrator {name}: {mean:.3g} waves per request, measured in traces "
        "(replaces expected_waves)"
        for name, mean in sorted(waves.items())
    ]
