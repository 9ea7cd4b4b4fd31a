"""The evaluation's report: per-variant figures, head-to-head wins, winner, confidence, chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from .scoring import Side, confidence
from .variants import CaseRun, percentile


@dataclass
class Row:
    """One variant's figures over every case."""

    name: str
    runs: list[CaseRun]
    scores: list[float | None]
    """Per case: 0-1 from `expected` or the code checks, None when only a judge can say."""
    wins: int = 0
    """Cases won head to head (against the project's workflow; the project's: against all)."""
    judge: bool = False

    @property
    def score(self) -> float | None:
        known = [s for s in self.scores if s is not None]
        return sum(known) / len(known) if known else None

    @property
    def usd_per_request(self) -> float:
        return sum(r.usd for r in self.runs) / len(self.runs)

    @property
    def calls_per_request(self) -> float:
        return sum(r.calls for r in self.runs) / len(self.runs)

    def latency(self, q: float) -> float:
        return percentile([r.latency_s for r in self.runs], q)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.runs)


@dataclass
class Match:
    """The project's workflow (A) against one other variant (B), case by case."""

    a: str
    b: str
    sides: list[Side]

    @property
    def a_wins(self) -> int:
        return self.sides.count("A")

    @property
    def b_wins(self) -> int:
        return self.sides.count("B")

    @property
    def ties(self) -> int:
        return self.sides.count("tie")


@dataclass
class Report:
    """Everything `eval` prints."""

    rows: list[Row]
    matches: list[Match]
    cases: int
    judge_calls: int = 0
    judge_usd: float = 0.0
    judge_asks: int = 0
    judge_first: int = 0
    """Judgements that picked the answer shown first (position bias shows here)."""
    stopped_by: str | None = None
    notes: list[str] = field(default_factory=list)

    def outcome(self) -> tuple[str | None, str | None, str]:
        """(winner, confidence, verdict)."""
        if not self.matches:
            return None, None, "nothing to compare against: pass --against or --variant"
        best = max(self.matches, key=lambda m: (m.b_wins - m.a_wins, m.b_wins))
        if best.b_wins > best.a_wins:
            won, lost, wins = best.b, best.a, best.b_wins
        elif all(m.a_wins > m.b_wins for m in self.matches):
            worst = min(self.matches, key=lambda m: m.a_wins - m.b_wins)
            won, lost, wins = worst.a, worst.b, worst.a_wins
        else:
            return None, "LOW", f"no clear winner: {self._tally(best)}"
        cost = self._cost(won, lost)
        share = wins / self.cases
        verdict = f"{won} wins {wins} of {self.cases} cases against {lost} {cost}"
        return won, confidence(share), verdict

    def _cost(self, won: str, lost: str) -> str:
        """`at 3.1x the cost of one call`."""
        mine, theirs = self._row(won).usd_per_request, self._row(lost).usd_per_request
        if theirs <= 0:
            return "(no cost measured)"
        return (
            f"at {mine / theirs:.1f}x the cost of {'one call' if lost == 'single-call' else lost}"
        )

    def _tally(self, m: Match) -> str:
        return f"{m.a} {m.a_wins}, {m.b} {m.b_wins}, ties {m.ties} of {self.cases} cases"

    def _row(self, name: str) -> Row:
        return next(r for r in self.rows if r.name == name)

    def as_json(self) -> dict[str, Any]:
        """The `--json` document (CONTRACTS §4), with extra keys after the contract's."""
        winner, conf, verdict = self.outcome()
        return {
            "variants": [
                {
                    "name": r.name,
                    "score": None if r.score is None else round(r.score, 4),
                    "wins": r.wins,
                    "usd_per_request": round(r.usd_per_request, 8),
                    "latency_s": {"p50": round(r.latency(50), 4), "p95": round(r.latency(95), 4)},
                    "calls_per_request": round(r.calls_per_request, 3),
                    "failed": r.failed,
                }
                for r in self.rows
            ],
            "winner": winner,
            "confidence": conf,
            "cases": self.cases,
            "verdict": verdict,
            "matches": [
                {"a": m.a, "b": m.b, "a_wins": m.a_wins, "b_wins": m.b_wins, "ties": m.ties}
                for m in self.matches
            ],
            "judge": {
                "calls": self.judge_calls,
                "usd": round(self.judge_usd, 8),
                "asks": self.judge_asks,
                "chose_first": self.judge_first,
            },
            "stopped_by": self.stopped_by,
            "notes": self.notes,
        }

    def as_text(self) -> str:
        """The table, the head-to-heads, the judge's spend and the verdict."""
        head = ["variant", "score", "wins", "$/request", "p50 s", "p95 s", "calls/req", "failed"]
        body = [
            [
                r.name,
                "-" if r.score is None else f"{r.score:.0%}",
                f"{r.wins}/{self.cases}",
                f"{r.usd_per_request:.6f}",
                f"{r.latency(50):.2f}",
                f"{r.latency(95):.2f}",
                f"{r.calls_per_request:.1f}",
                str(r.failed),
            ]
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in [head, *body]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append("")
        lines.extend(self._tally(m) for m in self.matches)
        if self.judge_calls:
            lines.append(
                f"judge: {self.judge_calls} calls, ${self.judge_usd:.6f} (not in the table); it "
                f"picked the answer shown first in {self.judge_first} of {self.judge_asks} asks "
                "(each pair is asked in both orders: a side wins only when both agree)"
            )
        winner, conf, verdict = self.outcome()
        lines.append(f"winner: {winner or 'none'} (confidence {conf or '-'})")
        lines.append(f"verdict: {verdict}")
        if self.stopped_by:
            lines.append(
                f"stopped: {self.stopped_by} (runs it stopped before any output count as failed)"
            )
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def svg_chart(rows: Sequence[Row], cases: int, *, width: int = 560, height: int = 360) -> str:
    """Quality (score, else the share of cases won) against dollars per request, one dot each."""
    pad = 56
    points = [(r.usd_per_request, r.score if r.score is not None else r.wins / cases) for r in rows]
    top_x = max((x for x, _ in points), default=0.0) * 1.15 or 1.0

    def at(x: float, y: float) -> tuple[float, float]:
        return (
            pad + x / top_x * (width - 2 * pad),
            height - pad - y * (height - 2 * pad),
        )

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<text x="{width / 2}" y="20" text-anchor="middle">'
        "Quality against cost per request</text>",
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#333"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#333"/>',
        f'<text x="{width / 2}" y="{height - 16}" text-anchor="middle">$ per request (0 to '
        f"{top_x:.6f})</text>",
        f'<text x="16" y="{height / 2}" transform="rotate(-90 16 {height / 2})" '
        'text-anchor="middle">score (or share of cases won)</text>',
    ]
    for i, (row, (x, y)) in enumerate(zip(rows, points, strict=True)):
        cx, cy = at(x, y)
        colour = COLOURS[i % len(COLOURS)]
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{colour}"/>')
        # Labels of points right of the middle end at the point, so they stay inside the chart.
        left = cx > width / 2
        anchor = f'x="{cx - 9:.1f}" text-anchor="end"' if left else f'x="{cx + 9:.1f}"'
        out.append(
            f'<text {anchor} y="{cy - 8:.1f}" fill="{colour}">{escape(row.name)} '
            f"({y:.0%}, ${x:.6f})</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
