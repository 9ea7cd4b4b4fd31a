"""Scores: a case's `expected`, the project's code checks, or a judge comparing two outputs.

A pairwise judgement asks the judge twice, the two outputs in both orders, so a judge that
prefers whatever comes first cancels out: a win needs both orders to agree, else it is a tie.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

Side = Literal["A", "B", "tie"]
Match = Literal["exact", "normalised", "contained", "missed"]

HIGH_ABOVE = 0.70
"""A winner taking more than this share of the cases is a HIGH-confidence winner."""
MEDIUM_FROM = 0.60
"""From this share up to HIGH_ABOVE: MEDIUM; below it: LOW."""


class JudgeVerdict(BaseModel):
    """What the judge answers: which output better meets the task and its criteria."""

    winner: Side


@dataclass(frozen=True)
class Scored:
    """A variant's output on one case, scored without a judge."""

    score: float
    """0 to 1."""
    how: str
    """`exact`, `normalised`, `contained`, `missed`, or `checks 2/3`."""


def normalise(text: str) -> str:
    """Lower case, punctuation and symbols as spaces, single spaces (accents kept)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    spaced = "".join(" " if unicodedata.category(c).startswith(("P", "S")) else c for c in folded)
    return " ".join(spaced.split())


def as_text(value: Any) -> str:
    """An output or an expected value as comparable text (JSON data as sorted JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def match_expected(output: Any, expected: Any) -> Scored:
    """1 when the output equals `expected` exactly, once normalised, or contains it; else 0."""
    got, want = as_text(output).strip(), as_text(expected).strip()
    if got == want:
        return Scored(1.0, "exact")
    got_n, want_n = normalise(got), normalise(want)
    if got_n == want_n:
        return Scored(1.0, "normalised")
    if want_n and re.search(rf"(?<!\w){re.escape(want_n)}(?!\w)", got_n):
        return Scored(1.0, "contained")
    return Scored(0.0, "missed")


CodeCheck = Callable[[Any], Any]


def run_checks(output: Any, checks: Sequence[CodeCheck]) -> Scored:
    """The share of the project's code checks the output passes (True or None passes; a
    `(passed, feedback)` pair counts by its first item; a check that raises fails)."""
    passed = 0
    for check in checks:
        try:
            verdict = check(output)
        except Exception:  # a check that crashes on this output does not pass it
            continue
        if isinstance(verdict, tuple) and verdict:
            verdict = verdict[0]
        passed += verdict is None or verdict is True
    return Scored(passed / len(checks), f"checks {passed}/{len(checks)}")


Ask = Callable[[str, str], Awaitable[Side]]
"""Asks the judge once: (first output, second output) -> "A" (first), "B" (second) or "tie"."""


async def judge_pair(ask: Ask, a: str, b: str) -> Side:
    """Which of `a` and `b` is better, judged in both orders: a side wins only when both agree."""
    first = await ask(a, b)
    second = await ask(b, a)
    swapped: Side = {"A": "B", "B": "A", "tie": "tie"}[second]  # type: ignore[assignment]
    return first if first == swapped else "tie"


def compare_scores(a: float, b: float) -> Side:
    """Which of two scores is higher."""
    return "A" if a > b else "B" if b > a else "tie"


def judge_messages(
    task: str, criteria: Iterable[str], case_input: str, first: str, second: str
) -> list[dict[str, str]]:
    """The judge's chat messages for one ordering."""
    rules = "\n".join(f"- {c}" for c in criteria) or "- correct, complete and well formed"
    return [
        {
            "role": "system",
            "content": (
                "You compare two answers to the same request and pick the better one. "
                'Reply with JSON only: {"winner": "A"}, {"winner": "B"} or {"winner": "tie"}.'
            ),
        },
        {
            "role": "user",
            "content": (
                f"Task: {task or 'answer the request'}\nCriteria:\n{rules}\n\n"
                f"Request:\n{case_input}\n\nAnswer A:\n{first}\n\nAnswer B:\n{second}\n\n"
                "Which answer better meets the task and the criteria?"
            ),
        },
    ]


def confidence(win_share: float) -> str:
    """HIGH above 70% of the cases won, MEDIUM from 60% to 70%, LOW below."""
    if win_share > HIGH_ABOVE:
        return "HIGH"
    if win_share >= MEDIUM_FROM:
        return "MEDIUM"
    return "LOW"
