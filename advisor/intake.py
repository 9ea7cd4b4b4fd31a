"""Where a recommendation comes from: an answers file, or the interview in a terminal."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from runtime.catalog import rung
from runtime.plan import PATTERN_IDS

from .answers import load_answers, parse_answers
from .costs import alternatives, usd_by_pattern
from .diagnose import diagnose
from .display import dollars, show_recommendation
from .errors import UserError
from .interview import (
    Asker,
    Choice,
    Question,
    questionary_asker,
    questions_named,
    run_questions,
)
from .recommendation import Recommendation
from .userfiles import shown

NO_TERMINAL = (
    "no answers to work from: stdin is not a terminal, so there is no interview; pass "
    "--answers FILE (YAML or JSON, format in docs/answers.md; the smallest is `name: desk`; "
    "--answers - reads them from what is piped in), or give answers as flags: --data name=desk "
    "--data 'steps=[draft, review]'"
)
ACCEPT = "accept"


def obtain(
    answers_path: Path | None,
    *,
    data: Mapping[str, Any] | None = None,
    stdin_is_tty: bool | None = None,
    ask: Asker | None = None,
    console: Console | None = None,
    default_name: str | None = None,
) -> Recommendation:
    """The recommendation from `answers_path`; else from the interview if stdin is a terminal.

    `data` (from `--data KEY=VALUE`) overrides the file's answers; in the interview those
    questions are not asked; off a terminal they are the answers. `default_name` is offered
    as the project name (`new DIR` offers DIR's name).
    """
    preset = dict(data or {})
    if answers_path is not None:
        loaded = load_answers(answers_path)
        if not preset:
            return diagnose(loaded)
        given = loaded.model_dump(by_alias=True, exclude_unset=True)
        return diagnose(parse_answers(given | preset, source=f"{shown(answers_path)} with --data"))
    tty = sys.stdin.isatty() if stdin_is_tty is None else stdin_is_tty
    if not tty:
        if not preset:
            raise UserError(NO_TERMINAL)
        if default_name is not None:
            preset.setdefault("name", default_name)
        return diagnose(parse_answers(preset, source="--data"))
    return interview(ask or questionary_asker(), console or Console(), default_name, preset)


def interview(
    ask: Asker,
    console: Console,
    default_name: str | None = None,
    preset: Mapping[str, Any] | None = None,
) -> Recommendation:
    """Ask the questions, show the recommendation, and let the user accept or pick another."""
    answers = run_questions(ask, questions_named(default_name), dict(preset or {}))
    rec = diagnose(answers)
    while True:
        alts = alternatives(rec)  # one plan per pattern, shared by the table and the menu
        usd = usd_by_pattern(alts)
        console.print()
        show_recommendation(rec, console, usd, more_hint="the menu below compares them")
        choice = ask(decision_question(rec, alts, usd))
        if choice == ACCEPT:
            return rec
        picked = None if choice == rec.natural_pattern else choice
        answers = answers.model_copy(update={"override": picked})
        rec = diagnose(answers)


def decision_question(
    rec: Recommendation,
    alts: Mapping[str, Recommendation],
    usd: Mapping[str, float | None],
) -> Question:
    """Accept the shown pattern, or pick another; each option says its calls and dollars."""
    now = rec.calls_per_request
    choices = [Choice(value=ACCEPT, title=f"Accept {rec.pattern}")]
    for pattern in PATTERN_IDS:
        if pattern == rec.pattern:
            continue
        alt = alts[pattern].calls_per_request
        delta = alt.expected - now.expected
        label = "recommended" if pattern == rec.natural_pattern else f"rung {rung(pattern)}"
        # short enough for an 80-column menu; the worst case is in `recommend --details`
        choices.append(
            Choice(
                value=pattern,
                title=f"{pattern} ({label}): {_calls(alt.expected)} ({delta:+g}), "
                f"{_usd_change(usd[pattern], usd[rec.pattern])}",
            )
        )
    return Question(
        key="decision",
        kind="select",
        message="Use this pattern, or look at another?",
        default=ACCEPT,
        choices=tuple(choices),
    )


def _usd_change(usd: float | None, now: float | None) -> str:
    """Dollars per request and the change from the one shown: `$0.0038 a request (x3.1)`."""
    if usd is None:
        return "no price known"
    ratio = f" (x{usd / now:.2g})" if now else ""
    return f"{dollars(usd)} a request{ratio}"


def _calls(n: float) -> str:
    return f"{n:g} call" if n == 1 else f"{n:g} calls"
