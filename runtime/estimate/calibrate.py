"""Learn per-step sizes, loop lengths and latencies from run traces (CONTRACTS §4 JSONL)."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..combinators.cascade_trace import TRACE_KEY as CASCADE_KEY
from ..combinators.cascade_trace import Escalations, escalations
from ..combinators.split_trace import MAP, PLAN
from ..model_calls.calltypes import INTERRUPTED, UNSETTLED_KEY
from ..model_calls.structured import REFUSED_KEY
from ..scope import EVAL_SCOPE
from .costmodel import Measured
from .errors import TraceError
from .fanouts import ItemCounts, WorkerCounts, item_counts, mean_waves, worker_counts


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
    decisions: list[Mapping[str, Any]] = field(default_factory=list)
    """Its cascades' decisions (`{"cascade": {...}}` lines): kept or escalated."""
    maps: list[Mapping[str, Any]] = field(default_factory=list)
    """Its maps' splits (`{"map": {...}}` lines): the items found and the items run."""
    plans: list[Mapping[str, Any]] = field(default_factory=list)
    """Its orchestrators' plans (`{"plan": {...}}` lines): the subtasks planned and run."""


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
    escalations: dict[str, Escalations] = field(default_factory=dict)
    """Per cascade name: answers judged and answers escalated to the strong model."""
    items: dict[str, float] = field(default_factory=dict)
    """Per map name (`each`): mean items a request's input held, over the runs it ran in (the
    real count, which may pass `max_items`: the estimate prices at most the cap)."""
    item_counts: dict[str, ItemCounts] = field(default_factory=dict)
    """Per map name: the items found and run, the cap, and how many requests it left items out."""
    waves: dict[str, float] = field(default_factory=dict)
    """Per orchestrator with dependencies: mean waves a request's plan had, over its runs."""
    workers: dict[str, float] = field(default_factory=dict)
    """Per orchestrator: mean subtasks a request's plan held, over the runs it planned in (the
    real count, which may pass `max_workers`: the estimate prices at most the cap)."""
    worker_counts: dict[str, WorkerCounts] = field(default_factory=dict)
    """Per orchestrator: the subtasks planned and run, the cap, and how many plans passed it."""

    def calls_per_run(self, step: str) -> float:
        """Mean calls of `step` per traced run (0 when never seen)."""
        found = self.steps.get(step)
        return 0.0 if found is None else found.calls_per_run


def read_runs(path: Path) -> list[RunRecord]:
    """The runs in one trace file; a summary line closes a run (a file may hold several)."""
    runs: list[RunRecord] = []
    calls: list[Mapping[str, Any]] = []
    decisions: list[Mapping[str, Any]] = []
    maps: list[Mapping[str, Any]] = []
    plans: list[Mapping[str, Any]] = []
    for number, line in _lines(path):
        if not line.strip():
            continue
        rec = _parse(path, number, line)
        if "approval" in rec:  # a person's decision on a tool call, not a model call
            continue
        if CASCADE_KEY in rec:  # a cascade's decision to keep or escalate an answer
            decisions.append(rec)
            continue
        if MAP.key in rec:  # a map's split: the items its input held and the items it ran
            maps.append(rec)
            continue
        if PLAN.key in rec:  # a plan: the subtasks it held and the subtasks given to workers
            plans.append(rec)
            continue
        if rec.get("summary"):
            cost = _number(path, number, rec, "cost_usd")
            if rec.get("stopped_by") != INTERRUPTED:  # a Ctrl-C'd run measures nothing whole
                runs.append(RunRecord(calls, cost or _usd(calls), decisions, maps, plans))
            calls, decisions, maps, plans = [], [], [], []
        else:
            for key in _NUMBERS:
                _number(path, number, rec, key)
            calls.append(rec)
    if calls:
        runs.append(RunRecord(calls, _usd(calls), decisions, maps, plans))
    if not any(run.calls for run in runs):
        raise TraceError(
            f"trace {path} holds no model calls; pass a trace written by `run --trace`"
        )
    return runs


def calibrate(paths: Sequence[Path]) -> Calibration:
    """Per-step means over every run in the given trace files.

    An `eval` trace holds the project's own runs beside the comparison's (other variants, the
    judge, the prompt optimizer), whose steps read `eval>...`: only the project's are learned.
    """
    runs = [run for path in paths for run in read_runs(path) if not _for_comparison(run)]
    sums: dict[str, _Sums] = {}
    for run in runs:
        for rec in run.calls:
            if is_call(rec) and not rec.get(UNSETTLED_KEY):  # a cut call's figures: the bound
                sums.setdefault(step_name(rec), _Sums()).add(rec)
    counts = item_counts((run.calls, run.maps) for run in runs)
    planned = worker_counts(run.plans for run in runs)
    return Calibration(
        runs=len(runs),
        steps={name: _measured(s, len(runs)) for name, s in sums.items()},
        files=[str(p) for p in paths],
        mean_run_usd=sum(r.cost_usd for r in runs) / len(runs) if runs else 0.0,
        escalations=escalations(d for run in runs for d in run.decisions),
        items={name: c.found for name, c in counts.items()},
        item_counts=counts,
        waves=mean_waves(run.calls for run in runs),
        workers={name: c.planned for name, c in planned.items()},
        worker_counts=planned,
    )


def _for_comparison(run: RunRecord) -> bool:
    """A run `eval` made for the comparison, not by the project's own workflow."""
    return any(str(rec.get("step", "")).startswith(EVAL_PREFIX) for rec in run.calls)


def is_call(rec: Mapping[str, Any]) -> bool:
    """Whether a call line is a call the provider did (and may bill): not an attempt it refused
    before any work, such as a response format it refused (llama.cpp answers json_schema with
    HTTP 500; the same call then goes as json_object), which its line marks, or any failed
    attempt with no token counted (an older trace's refusal, a 429 retried)."""
    if rec.get(REFUSED_KEY):
        return False
    nothing = _int(rec, "prompt_tokens") == 0 and _int(rec, "completion_tokens") == 0
    return not (rec.get("ok") is False and nothing)


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


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines of a regular file (never waits on a FIFO), each UTF-8 and bounded."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise TraceError(f"cannot read trace {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise TraceError(f"trace {path} is not a regular file; {_FIX}")
    with os.fdopen(fd, "rb") as handle:
        for number, raw in enumerate(iter(lambda: handle.readline(_MAX_LINE + 1), b""), 1):
            if len(raw) > _MAX_LINE:
                raise TraceError(f"trace {path} line {number} is over {_MAX_LINE:,} bytes; {_FIX}")
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                raise TraceError(
                    f"trace {path} line {number} is not UTF-8 text; pass a JSONL trace"
                ) from None


def _number(path: Path, number: int, rec: Mapping[str, Any], key: str) -> float:
    """A trace figure: absent is 0; anything but a finite number >= 0 is a `TraceError`."""
    value = rec.get(key)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TraceError(f"trace {path} line {number}: {key} is not a number; {_FIX}")
    if isinstance(value, int) and value > _MAX_FIGURE:
        raise TraceError(f"trace {path} line {number}: {key} is implausibly large; {_FIX}")
    if not math.isfinite(value) or value < 0 or value > _MAX_FIGURE:
        raise TraceError(f"trace {path} line {number}: {key} is not a number >= 0; {_FIX}")
    return float(value)


def _parse(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        rec = json.loads(line)
    except (ValueError, RecursionError):  # bad JSON, a 5,000-digit number, deep nesting
        raise TraceError(f"trace {path} line {number} is not JSON; pass a JSONL trace") from None
    if not isinstance(rec, dict) or not (_KINDS & set(rec)):
        raise TraceError(f"trace {path} line {number} is not a trace record (no 'step')")
    return rec


def _int(rec: Mapping[str, Any], key: str) -> int:
    value = rec.get(key)
    return int(value) if isinstance(value, (int, float)) else 0


def _usd(calls: Iterable[Mapping[str, Any]]) -> float:
    return sum(float(c.get("cost_usd") or 0.0) for c in calls)


EVAL_PREFIX = EVAL_SCOPE + ">"
"""The step path of every call `eval` makes for the comparison."""
_KINDS = {"summary", "step", "approval", CASCADE_KEY, MAP.key, PLAN.key}
"""The keys one of which makes a line a trace record: calls, summaries, decisions and splits."""
_NUMBERS = ("prompt_tokens", "completion_tokens", "latency_s", "cost_usd")
"""The figures a call line may carry; each is checked as it is read."""
_MAX_FIGURE = 1e15
"""Larger token counts, seconds or dollars are corruption, not a run."""
_MAX_LINE = 1 << 20
"""Longest trace line read (a call line is a few hundred bytes)."""
_FIX = "pass a trace written by `run --trace`"
