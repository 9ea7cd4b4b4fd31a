"""The variants an evaluation compares, and running one over every case under the budgets.

A variant carries its own runtime kit (Run, SimulatedModel, execute, scope): the project's
vendored runtime for its own workflow, prompt variants and the single-call baseline, and the
rendered project's runtime for `--against PATTERN`. Every run keeps the settings' per-request
limits; an eval-wide `--max-usd` is shared out by a Ledger so it is never exceeded.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cases import Case

Clock = Callable[[], float]


@dataclass(frozen=True)
class Kit:
    """The pieces of one vendored runtime a variant runs on."""

    run_from_settings: Callable[..., Any]
    """`Run.from_settings`."""
    simulated: Callable[..., Any]
    """`SimulatedModel` (called with `script=`)."""
    execute: Callable[[Any, Any, Any], Awaitable[Any]]
    """`execute(flow, run, value)` -> Outcome."""
    scope: Callable[[str], contextlib.AbstractContextManager[Any]]
    """`scope(name)`: step-path scope for the run's calls."""


@dataclass(frozen=True)
class Variant:
    """One contender: a built flow with the settings and runtime it runs on."""

    name: str
    """Its name in the report."""
    flow: Any
    """The built workflow (a Step of its own runtime)."""
    settings: Any
    """Its settings (its own runtime's Settings)."""
    kit: Kit
    """Its runtime."""
    marked: bool = True
    """Run under the `eval>NAME` step scope (all but the project's own workflow)."""
    script: dict[str, list[Any]] = field(default_factory=dict)
    """Scripted simulated replies for --mock (model checks pass)."""


@dataclass(frozen=True)
class CaseRun:
    """One variant on one case."""

    output: Any
    """The workflow's final artifact (None when it failed before any)."""
    usd: float
    """Dollars spent."""
    calls: int
    """Model calls made."""
    latency_s: float
    """Wall-clock seconds."""
    stopped_by: str | None = None
    """A cap or budget that stopped it."""
    error: str | None = None
    """Why it failed, when it did."""

    @property
    def failed(self) -> bool:
        """It raised, or a budget stopped it before any output."""
        return self.error is not None or self.output is None


@dataclass(frozen=True)
class Options:
    """How to run: from the command line."""

    mock: bool = False
    model: str | None = None
    concurrency: int = 4
    trace: Path | None = None


class Ledger:
    """An eval-wide dollar budget: each run is given what is left, held until it settles."""

    def __init__(self, max_usd: float | None) -> None:
        self.max_usd = max_usd
        self.spent = 0.0
        self.held = 0.0
        self.stopped = False
        """Whether a run was refused for want of budget."""

    def take(self, per_request: float | None) -> float | None:
        """The cap for one run: the per-request cap, at most what is left (None: no cap).
        0 means nothing is left: the run is not started."""
        if self.max_usd is None:
            return per_request
        left = max(0.0, self.max_usd - self.spent - self.held)
        cap = left if per_request is None else min(per_request, left)
        if cap <= 1e-12:
            self.stopped = True
            return 0.0
        self.held += cap
        return cap

    def cut_short(self, cap: float | None, per_request: float | None) -> bool:
        """Whether a run given `cap` had less than its own per-request cap: a run it stopped
        was stopped by the eval's budget (which is then marked spent)."""
        short = (
            self.max_usd is not None
            and cap is not None
            and (per_request is None or cap < per_request)
        )
        return short

    def settle(self, cap: float | None, spent: float) -> None:
        """A run finished: release its hold, count what it spent."""
        if self.max_usd is not None and cap:
            self.held = max(0.0, self.held - cap)
        self.spent += spent


def final_of(value: Any) -> Any:
    """The artifact inside a pattern's result (vote, refine, agent results hold it)."""
    for attr in ("answer", "output"):
        inner = getattr(value, attr, None)
        if inner is not None and type(value).__name__ in {"VoteResult", "Refined", "AgentResult"}:
            return final_of(inner)
    return value


async def run_variant(
    variant: Variant,
    cases: Sequence[Case],
    opts: Options,
    ledger: Ledger,
    *,
    clock: Clock = time.perf_counter,
) -> list[CaseRun]:
    """The variant on every case, `opts.concurrency` at a time."""
    gate = asyncio.Semaphore(max(1, opts.concurrency))

    async def one(case: Case) -> CaseRun:
        async with gate:
            return await run_case(variant, case.input, opts, ledger, clock=clock)

    return list(await asyncio.gather(*(one(c) for c in cases)))


async def run_case(
    variant: Variant, text: str, opts: Options, ledger: Ledger, *, clock: Clock = time.perf_counter
) -> CaseRun:
    """The variant on one input, in its own Run (its trace appended whole when it ends)."""
    per_request = variant.settings.limits.max_usd
    cap = ledger.take(per_request)
    if cap == 0.0:
        return CaseRun(None, 0.0, 0, 0.0, stopped_by="eval --max-usd", error="budget spent")
    with own_trace(opts.trace) as trace:
        run = variant.kit.run_from_settings(
            variant.settings,
            simulated=variant.kit.simulated(script=variant.script) if opts.mock else None,
            trace=trace,
            model=opts.model,
            max_usd=cap,
        )
        start = clock()
        error = None
        try:
            with _scoped(variant):
                outcome = await variant.kit.execute(variant.flow, run, text)
            output, stopped = final_of(outcome.output), outcome.stopped_by
        except Exception as exc:  # one case failing is a result, not the end of the eval
            output, stopped, error = None, None, f"{type(exc).__name__}: {exc}"
        latency = clock() - start
        summary = run.close()
    ledger.settle(cap, summary.cost_usd)
    if (stopped or error) and ledger.cut_short(cap, per_request):
        ledger.stopped = True
    return CaseRun(output, summary.cost_usd, summary.calls, latency, stopped, error)


@contextlib.contextmanager
def _scoped(variant: Variant) -> Iterator[None]:
    from . import EVAL_SCOPE

    if not variant.marked:
        yield
        return
    with variant.kit.scope(EVAL_SCOPE), variant.kit.scope(variant.name):
        yield


@contextlib.contextmanager
def own_trace(trace: Path | None) -> Iterator[Path | None]:
    """A private trace file for one run, appended to `trace` whole once the run ends, so runs
    in flight together never interleave their lines (calibration reads a run as a block)."""
    if trace is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="wfadvise-eval-") as tmp:
        own = Path(tmp) / "run.jsonl"
        try:
            yield own
        finally:
            if own.is_file():
                with own.open("rb") as src, trace.open("ab") as dest:
                    shutil.copyfileobj(src, dest)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@contextlib.contextmanager
def prompts_overlay(original: Path, overrides: dict[str, str]) -> Iterator[Path]:
    """A temporary prompts folder: the original files, with `overrides` (name -> text) on top."""
    with tempfile.TemporaryDirectory(prefix="wfadvise-prompts-") as tmp:
        folder = Path(tmp) / "prompts"
        shutil.copytree(original, folder)
        for name, text in overrides.items():
            (folder / name).write_text(text, encoding="utf-8")
        yield folder
