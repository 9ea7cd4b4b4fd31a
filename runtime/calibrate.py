"""Learn per-step sizes, loop lengths and latencies from run traces (CONTRACTS §4 JSONL)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .costmodel import Measured
from .errors import InputError


class TraceError(InputError):
    """A trace file that cannot be read or holds no model calls."""


@dataclass
class _Sums:
    """Running sums for one step over every run read."""

    calls: int = 0
    prompt: int = 0
    completion: int = 0
    latency: float = 0.0
    usd: float = 0.0
    max_prompt: int = 0
    max_completion: int = 0

    def add(self, rec: Mapping[str, Any]) -> None:
        prompt, completion = _int(rec, "prompt_tokens"), _int(rec, "completion_tokens")
        self.calls += 1
        self.prompt += prompt
        self.completion += completion
        self.latency += float(rec.get("latency_s") or 0.0)
        self.usd += float(rec.get("cost_usd") or 0.0)
        self.max_prompt = max(self.max_prompt, prompt)
        self.max_completion = max(self.max_completion, completion)


@dataclass(frozen=True)
class RunRecord:
    """One traced run: its call lines and its cost."""

    calls: list[Mapping[str, Any]]
    """One object per model-call attempt."""
    cost_usd: float
    """Dollars the run spent (the summary line's figure, else the sum of its calls)."""


@dataclass
class Calibration:
    """What traces measured, per step name (the last segment of a trace's step path)."""

    runs: int = 0
    """Runs learned from."""
    steps: dict[str, Measured] = field(default_factory=dict)
    """Per-step measurements."""
    files: list[str] = field(default_factory=list)
    """The trace files read."""
    mean_run_usd: float = 0.0
    """Mean dollars per traced run, as the traces recorded them."""

    def calls_per_run(self, step: str) -> float:
        """Mean calls of `step` per traced run (0 when never seen)."""
        found = self.steps.get(step)
        return 0.0 if found is None else found.calls_per_run


def read_runs(path: Path) -> list[RunRecord]:
    """The runs in one trace file; a summary line closes a run (a file may hold several)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise TraceError(f"cannot read trace {path}: {exc.strerror or exc}") from None
    runs: list[RunRecord] = []
    calls: list[Mapping[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        rec = _parse(path, number, line)
        if rec.get("summary"):
            runs.append(RunRecord(calls, float(rec.get("cost_usd") or _usd(calls))))
            calls = []
        else:
            calls.append(rec)
    if calls:
        runs.append(RunRecord(calls, _usd(calls)))
    if not any(run.calls for run in runs):
        raise TraceError(
            f"trace {path} holds no model calls; pass a trace written by `run --trace`"
        )
    return runs


def calibrate(paths: Sequence[Path]) -> Calibration:
    """Per-step means over every run in the given trace files."""
    runs = [run for path in paths for run in read_runs(path)]
    sums: dict[str, _Sums] = {}
    for run in runs:
        for rec in run.calls:
            sums.setdefault(step_name(rec), _Sums()).add(rec)
    return Calibration(
        runs=len(runs),
        steps={name: _measured(s, len(runs)) for name, s in sums.items()},
        files=[str(p) for p in paths],
        mean_run_usd=sum(r.cost_usd for r in runs) / len(runs) if runs else 0.0,
    )


def step_name(rec: Mapping[str, Any]) -> str:
    """The step a call line belongs to: the last segment of its path."""
    return str(rec.get("step", "")).rsplit(">", 1)[-1]


def _measured(s: _Sums, runs: int) -> Measured:
    return Measured(
        calls_per_run=s.calls / runs,
        prompt_tokens=s.prompt / s.calls,
        completion_tokens=s.completion / s.calls,
        latency_s=s.latency / s.calls,
        usd_per_run=s.usd / runs,
        max_prompt_tokens=s.max_prompt,
        max_completion_tokens=s.max_completion,
    )


def _parse(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        raise TraceError(f"trace {path} line {number} is not JSON; pass a JSONL trace") from None
    if not isinstance(rec, dict) or not ("summary" in rec or "step" in rec):
        raise TraceError(f"trace {path} line {number} is not a trace record (no 'step')")
    return rec


def _int(rec: Mapping[str, Any], key: str) -> int:
    value = rec.get(key)
    return int(value) if isinstance(value, (int, float)) else 0


def _usd(calls: Iterable[Mapping[str, Any]]) -> float:
    return sum(float(c.get("cost_usd") or 0.0) for c in calls)
