"""An Estimate as contract JSON (CONTRACTS §5) and as plain text (no rich needed)."""

from __future__ import annotations

from typing import Any

from .chart import Series, money, text_chart
from .fanouts import items_lines, over_cap_line, over_workers_line, waves_lines, workers_lines
from .figures import Estimate


def number(x: float, digits: int = 2) -> float | int:
    """An integral value as int, else rounded (calls may be fractional on average)."""
    return round(x) if abs(x - round(x)) < 1e-9 else round(x, digits)


def usd(x: float | None) -> float | None:
    """Dollars kept to eight decimals (a cheap call costs millionths)."""
    return None if x is None else round(x, 8)


def contract_dict(est: Estimate) -> dict[str, Any]:
    """CONTRACTS §5 plus extra fields (latency, kinds, assumptions, calibration)."""
    worst_tokens = est.worst("tokens")
    worst_usd = est.worst("usd")
    return {
        "pattern": est.pattern,
        "unit": est.unit,  # what per_request is per: a `request`, or a chat project's `turn`
        "model_prices": {
            m: {"input_per_mtok": p.input_per_mtok, "output_per_mtok": p.output_per_mtok}
            for m, p in sorted(est.prices.items())
        },
        "per_request": {
            "expected_calls": number(est.total.calls_exp),
            "worst_calls": int(est.total.calls_worst),
            "expected_tokens": round(est.total.tokens_exp),
            "worst_tokens": None if worst_tokens is None else int(worst_tokens),
            "expected_usd": usd(est.total.usd_exp),
            "worst_usd": usd(worst_usd),
            "critical_path_calls": number(est.critical_path_calls),
            "expected_latency_s": round(est.latency_s, 2),
            "worst_model_calls": int(est.logical_worst),
            "worst_capped_by": est.capped_by,
            "worst_unbounded": est.unbounded,
        },
        "per_step": [
            {
                "step": s.step,
                "model": s.model,
                "kind": s.kind,
                "calls": number(s.calls),
                "worst_calls": int(s.worst_calls),
                "tokens": round(s.tokens),
                "worst_tokens": None if s.worst_tokens == float("inf") else int(s.worst_tokens),
                "usd": usd(s.usd),
                "worst_usd": None if s.worst_usd == float("inf") else usd(s.worst_usd),
                "measured": s.measured,
            }
            for s in est.steps
        ],
        "input_tokens": est.input_tokens,
        "volume_per_day": est.volume_per_day,
        "daily_usd": usd(est.daily_usd),
        "monthly_usd": usd(est.monthly_usd),
        "worst_daily_usd": usd(None if worst_usd is None else worst_usd * est.volume_per_day),
        "alternatives": [
            {
                "pattern": a.pattern,
                "rung": a.rung,
                "expected_usd": usd(a.expected_usd),
                "monthly_usd": usd(a.monthly_usd),
                "note": a.note,
            }
            for a in est.alternatives
        ],
        "assumptions": est.assumptions,
        "cascades": [
            {
                "name": b.name,
                "cheap_usd": usd(b.cheap_usd),
                "check_usd": usd(b.check_usd),
                "strong_usd": usd(b.strong_usd),
                "expected_escalation": round(b.expected_escalation, 4),
                "escalation_measured": b.measured,
                "break_even_escalation": round(b.rate, 4),
                "pays": b.pays,
            }
            for b in est.cascades
        ],
        "calibration": None
        if est.calibration is None
        else {
            "runs": est.calibration.runs,
            "files": est.calibration.files,
            "traced_usd_per_run": usd(est.calibration.mean_run_usd),
            "items_per_request": {k: round(v, 4) for k, v in est.calibration.items.items()},
            "items_run_per_request": {
                k: round(c.ran, 4) for k, c in est.calibration.item_counts.items()
            },
            # maps whose inputs held more items than max_items let run (priced at the cap)
            "items_over_cap": {
                k: {
                    "found_per_request": round(c.found, 4),
                    "most_found": c.most,
                    "max_items": c.max_items,
                    "capped_runs": c.capped_runs,
                    "runs": c.runs,
                    "advice": over_cap_line(k, c),
                }
                for k, c in est.calibration.item_counts.items()
                if c.capped_runs
            },
            "workers_per_request": {k: round(v, 4) for k, v in est.calibration.workers.items()},
            "workers_run_per_request": {
                k: round(c.ran, 4) for k, c in est.calibration.worker_counts.items()
            },
            # orchestrators whose plans held more subtasks than max_workers (priced at the cap)
            "workers_over_cap": {
                k: {
                    "planned_per_request": round(c.planned, 4),
                    "most_planned": c.most,
                    "max_workers": c.max_workers,
                    "capped_runs": c.capped_runs,
                    "runs": c.runs,
                    "advice": over_workers_line(k, c),
                }
                for k, c in est.calibration.worker_counts.items()
                if c.capped_runs
            },
        },
    }


def series(est: Estimate) -> list[Series]:
    """The chart's lines: this workflow first, then its alternatives."""
    lines = [Series(f"{est.pattern} (this)", est.total.usd_exp)]
    return lines + [Series(a.pattern, a.expected_usd) for a in est.alternatives]


STEP_WORST = (
    "worst $ per step: that step's own bound (the most it alone can cost in one request, never "
    "above the request's worst); steps' worsts are not additive"
)
"""What a step's worst figure means, under the table that shows it."""


def worst_text(value: float | None, fmt: str) -> str:
    """A worst figure, or `unbounded` when only absent limits could bound it."""
    return "unbounded" if value is None else fmt.format(value)


def render_text(est: Estimate, *, width: int = 80) -> str:
    """The whole report as plain text."""
    t = est.total
    out = [
        f"Estimate: {est.pattern} - input {est.input_tokens} tokens, "
        f"{est.volume_per_day:,} {est.unit}s/day",
        "",
        f"{'per ' + est.unit:<16}{'expected':>14}{'worst':>16}",
        f"{'calls':<16}{number(t.calls_exp):>14}{int(t.calls_worst):>16}",
        f"{'tokens':<16}{round(t.tokens_exp):>14,}{worst_text(est.worst('tokens'), '{:,.0f}'):>16}",
        f"{'dollars':<16}{money(t.usd_exp):>14}{worst_text(est.worst('usd'), '${:.6f}'):>16}",
        f"{'latency':<16}{est.latency_s:>12.1f} s   "
        f"(critical path {number(est.critical_path_calls)} calls)",
        "",
    ]
    if int(est.logical_worst) < int(t.calls_worst):  # the README's figure is the designed one
        out[-1:-1] = [
            f"worst calls include transport retries and output repairs "
            f"({int(est.logical_worst)} as designed)"
        ]
    # Columns as wide as their longest entry: a step or model name is never cut.
    names = [s.step + ("*" if s.measured else "") for s in est.steps]
    sw = max([len("step"), *map(len, names)]) + 2
    mw = max([len("model"), *(len(s.model) for s in est.steps)]) + 2
    out.append(
        f"{'step':<{sw}}{'model':<{mw}}{'calls':>7}{'tokens':>9}{'$/' + est.unit:>12}{'share':>7}"
    )
    for name, s in zip(names, est.steps, strict=True):
        share = s.usd / t.usd_exp if t.usd_exp else 0.0
        out.append(
            f"{name:<{sw}}{s.model:<{mw}}{number(s.calls):>7}"
            f"{round(s.tokens):>9,}{money(s.usd):>12}{share:>7.0%}"
        )
    out += [
        "",
        f"at {est.volume_per_day:,}/day: {money(est.daily_usd)}/day, "
        f"{money(est.monthly_usd)}/month expected",
    ]
    if est.worst("usd") is not None:
        out.append(f"worst: {money(est.worst('usd') * est.volume_per_day)}/day")  # type: ignore[operator]
    if est.capped_by:
        out.append(f"worst capped by the run's limits: {', '.join(est.capped_by)}")
    out += [f"note: {why}" for why in est.unbounded]
    if est.alternatives:
        out += ["", "alternatives (same task, expected):"]
        out += [
            f"  {a.pattern:<22} rung {a.rung}  {money(a.expected_usd):>10}/request "
            f"{money(a.monthly_usd):>10}/month"
            for a in est.alternatives
        ]
    out += ["", text_chart(series(est), est.volume_per_day, width=min(48, width - 10))]
    if est.calibration is not None:
        out += ["", f"calibrated from {est.calibration.runs} traced run(s) (* = measured step)"]
        out += items_lines(est.calibration.items, est.calibration.item_counts)
        out += waves_lines(est.calibration.waves)
        out += workers_lines(est.calibration.worker_counts)
    out += ["", "assumptions:"] + [f"  - {a}" for a in est.assumptions]
    return "\n".join(out)
