"""`wfadvise estimate` on screen: rich tables for the totals, steps, volume and alternatives."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from runtime.estimate import Estimate
from runtime.estimate.chart import money, text_chart
from runtime.estimate.fanouts import items_lines, workers_lines
from runtime.estimate.report import STEP_WORST, number, series


def show_estimate(
    est: Estimate, *, plot: Path | None = None, console: Console | None = None
) -> None:
    """Print the estimate: one screen telling what the workflow costs at this volume, and why."""
    out = console or Console()
    out.print(_totals(est))
    out.print(_steps(est))
    out.print(_volume(est))
    if est.alternatives:
        out.print(_alternatives(est))
    out.print(
        Panel(
            Text(text_chart(series(est), est.volume_per_day)),
            title="monthly cost vs volume",
            expand=False,
        )
    )
    if plot is not None:
        out.print(f"chart written to {plot}")
    out.print(Text("assumptions:\n" + "\n".join(f"  - {a}" for a in est.assumptions), style="dim"))


def _worst(value: float | None, fmt: str) -> str:
    return "unbounded" if value is None else fmt.format(value)


def _totals(est: Estimate) -> Table:
    t = est.total
    table = Table(
        title=f"{est.pattern}: per {est.unit} (input {est.input_tokens} tokens)",
        title_justify="left",
    )
    table.add_column("")
    table.add_column("expected", justify="right")
    table.add_column("worst (bound)", justify="right")
    table.add_row("model calls", str(number(t.calls_exp)), _worst_calls(est))
    table.add_row("tokens", f"{round(t.tokens_exp):,}", _worst(est.worst("tokens"), "{:,.0f}"))
    table.add_row("dollars", money(t.usd_exp), _worst(est.worst("usd"), "${:.6f}"))
    table.add_row(
        "latency",
        f"{est.latency_s:.1f} s",
        f"critical path {number(est.critical_path_calls)} calls",
    )
    if int(est.logical_worst) < int(t.calls_worst):
        table.caption = "worst calls include transport retries and output repairs"
    if est.capped_by:
        capped = "worst capped by the run's limits: " + ", ".join(est.capped_by)
        table.caption = f"{table.caption}\n{capped}" if table.caption else capped
    for why in est.unbounded:
        table.caption = (table.caption or "") + "\n" + why
    return table


def _worst_calls(est: Estimate) -> str:
    """The worst calls (retries and repairs included), and the designed count `recommend`
    shows beside it when they differ."""
    worst, designed = int(est.total.calls_worst), int(est.logical_worst)
    if designed >= worst:
        return str(worst)
    return f"{worst} ({designed} as designed)"


def _steps(est: Estimate) -> Table:
    table = Table(title=f"where the money goes (per {est.unit})", title_justify="left")
    # A step name is folded onto more lines when the screen is narrow, never cut to "…".
    for name in ("step", "model"):
        table.add_column(name, overflow="fold")
    for name in ("calls", "tokens", "expected $", "share", "worst $"):
        table.add_column(name, justify="right")
    total = est.total.usd_exp or 1.0
    for s in est.steps:
        table.add_row(
            s.step + (" *" if s.measured else ""),
            s.model,
            str(number(s.calls)),
            f"{round(s.tokens):,}",
            money(s.usd),
            f"{s.usd / total:.0%}",
            _worst(None if s.worst_usd == float("inf") else s.worst_usd, "${:.6f}"),
        )
    lines = [STEP_WORST]
    if est.calibration is not None:
        lines += [f"* measured from {est.calibration.runs} traced run(s)"]
        lines += items_lines(est.calibration.items, est.calibration.item_counts)
        lines += workers_lines(est.calibration.worker_counts)
    table.caption = "\n".join(lines)
    return table


def _volume(est: Estimate) -> Table:
    table = Table(title=f"at {est.volume_per_day:,} {est.unit}s/day", title_justify="left")
    for name in ("", "per day", "per month (30 d)"):
        table.add_column(name, justify="right" if name else "left")
    table.add_row("expected", money(est.daily_usd), money(est.monthly_usd))
    worst = est.worst("usd")
    if worst is not None:
        table.add_row(
            "worst", money(worst * est.volume_per_day), money(worst * est.volume_per_day * 30)
        )
    return table


def _alternatives(est: Estimate) -> Group:
    table = Table(title="the same task on other rungs (expected)", title_justify="left")
    for name in ("pattern", "rung"):
        table.add_column(name)
    for name in (f"$/{est.unit}", "per month", "vs this"):
        table.add_column(name, justify="right")
    base = est.total.usd_exp or 1.0
    for a in est.alternatives:
        table.add_row(
            a.pattern,
            str(a.rung),
            money(a.expected_usd),
            money(a.monthly_usd),
            f"{a.expected_usd / base:.1f}x",
        )
    notes = [f"{a.pattern}: {a.note}" for a in est.alternatives if "x " in a.note]
    return Group(table, Text("\n".join(notes), style="dim")) if notes else Group(table)
