"""The eval engine (runtime/evaluation): scoring, order-swapped judging, confidence, the
eval-wide budget, the report's verdict, and the optimizer's keep-only-improvements loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from runtime.evaluation.cases import load_cases
from runtime.evaluation.errors import EvalUsageError
from runtime.evaluation.optimize import (
    Evaluate,
    Failure,
    Trial,
    optimize,
    prompt_file,
    write_beside,
)
from runtime.evaluation.report import Match, Report, Row, svg_chart
from runtime.evaluation.scoring import (
    Ask,
    Side,
    confidence,
    judge_pair,
    match_expected,
    normalise,
    run_checks,
)
from runtime.evaluation.variants import CaseRun, Ledger, percentile


def test_expected_matches_exactly_normalised_or_contained() -> None:
    assert match_expected("Positive", "Positive").how == "exact"
    assert match_expected("  positive!! ", "Positive.").how == "normalised"
    assert match_expected("The sentiment is: POSITIVE.", "positive").how == "contained"
    missed = match_expected("negative", "positive")
    assert (missed.score, missed.how) == (0.0, "missed")
    # contained means a whole word or phrase, not a fragment of another word
    assert match_expected("unpositive", "positive").how == "missed"
    assert match_expected({"label": "a"}, {"label": "a"}).score == 1.0


def test_normalise_folds_case_space_and_punctuation() -> None:
    assert normalise("  Hello,   WORLD — ok?! ") == "hello world ok"


def test_code_checks_score_the_share_passed() -> None:
    def ok(_: object) -> bool:
        return True

    def says_why(_: object) -> str:
        return "too long"

    def crashes(_: object) -> bool:
        raise ValueError("boom")

    found = run_checks("out", [ok, says_why, crashes, lambda _: None])
    assert found.score == 0.5
    assert found.how == "checks 2/4"


def _judge(answers: dict[tuple[str, str], Side]) -> tuple[Ask, list[tuple[str, str]]]:
    asked: list[tuple[str, str]] = []

    async def ask(first: str, second: str) -> Side:
        asked.append((first, second))
        return answers[(first, second)]

    return ask, asked


def test_the_judge_is_asked_in_both_orders_and_a_disagreement_is_a_tie() -> None:
    # A judge that always prefers whatever comes first: position bias, no real preference.
    ask, asked = _judge({("x", "y"): "A", ("y", "x"): "A"})
    assert asyncio.run(judge_pair(ask, "x", "y")) == "tie"
    assert asked == [("x", "y"), ("y", "x")]


def test_the_judge_agreeing_in_both_orders_gives_a_win() -> None:
    ask, _ = _judge({("x", "y"): "B", ("y", "x"): "A"})  # prefers y both times
    assert asyncio.run(judge_pair(ask, "x", "y")) == "B"
    ask, _ = _judge({("x", "y"): "A", ("y", "x"): "B"})  # prefers x both times
    assert asyncio.run(judge_pair(ask, "x", "y")) == "A"


@pytest.mark.parametrize(
    ("share", "level"),
    [(0.71, "HIGH"), (0.70, "MEDIUM"), (0.60, "MEDIUM"), (0.59, "LOW"), (0.0, "LOW")],
)
def test_confidence_thresholds(share: float, level: str) -> None:
    assert confidence(share) == level


def _row(name: str, usd: float, n: int = 8, score: float | None = None) -> Row:
    runs = [CaseRun("out", usd, 3 if usd > 1 else 1, 0.1 * (i + 1)) for i in range(n)]
    return Row(name, runs, [score] * n)


def test_the_verdict_names_the_winner_its_wins_and_the_cost_ratio() -> None:
    chain, one = _row("prompt-chaining", 3.1e-4), _row("single-call", 1e-4)
    match = Match("prompt-chaining", "single-call", [*(["A"] * 7), "tie"])
    chain.wins, one.wins = 7, 0
    winner, conf, verdict = Report([chain, one], [match], 8).outcome()
    assert winner == "prompt-chaining"
    assert conf == "HIGH"
    assert verdict == (
        "prompt-chaining wins 7 of 8 cases against single-call at 3.1x the cost of one call"
    )


def test_a_challenger_that_wins_more_is_the_winner() -> None:
    chain, one = _row("prompt-chaining", 3e-4, n=10), _row("single-call", 1e-4, n=10)
    match = Match("prompt-chaining", "single-call", ["B"] * 6 + ["A"] * 2 + ["tie"] * 2)
    winner, conf, verdict = Report([chain, one], [match], 10).outcome()
    assert (winner, conf) == ("single-call", "MEDIUM")
    assert "at 0.3x the cost of prompt-chaining" in verdict


def test_the_json_report_keeps_the_contract_keys() -> None:
    chain, one = _row("prompt-chaining", 3e-4, score=1.0), _row("single-call", 1e-4, score=0.5)
    match = Match("prompt-chaining", "single-call", ["A"] * 8)
    doc = Report([chain, one], [match], 8).as_json()
    assert set(doc) >= {"variants", "winner", "confidence", "cases"}
    for v in doc["variants"]:
        assert set(v) >= {
            "name",
            "score",
            "wins",
            "usd_per_request",
            "latency_s",
            "calls_per_request",
        }
    assert doc["variants"][0]["latency_s"] == {"p50": 0.4, "p95": 0.8}
    json.dumps(doc)  # serialisable as printed


def test_the_chart_places_each_variant_by_cost_and_score() -> None:
    cheap, dear = _row("single-call", 1e-4, score=0.5), _row("prompt-chaining", 3e-4, score=1.0)
    svg = svg_chart([cheap, dear], 8)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "single-call (50%" in svg and "prompt-chaining (100%" in svg
    # the dearest point sits at the right: its label ends at the point, inside the chart
    assert 'text-anchor="end" y="' in svg.split("prompt-chaining (100%")[0].rsplit("<text", 1)[1]


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([1.0] * 19 + [10.0], 95) == 1.0
    assert percentile([1.0] * 19 + [10.0], 96) == 10.0
    assert percentile([], 50) == 0.0


def test_the_ledger_never_lends_more_than_is_left() -> None:
    ledger = Ledger(1.0)
    first = ledger.take(0.6)
    second = ledger.take(0.6)  # only 0.4 left while the first run holds 0.6
    assert (first, second) == (0.6, pytest.approx(0.4))
    assert ledger.take(0.6) == 0.0 and ledger.stopped
    ledger.settle(first, 0.1)  # the first run spent 0.1 of its 0.6
    assert ledger.take(None) == pytest.approx(0.5)


def test_no_eval_budget_keeps_the_per_request_cap() -> None:
    assert Ledger(None).take(0.05) == 0.05
    assert Ledger(None).take(None) is None


def _trials(scores: dict[str, float]) -> tuple[Evaluate, list[str]]:
    seen: list[str] = []

    async def evaluate(prompt: str) -> Trial:
        seen.append(prompt)
        score = scores[prompt]
        return Trial(score, [] if score >= 1 else [Failure("in", "got", "want")])

    return evaluate, seen


def test_optimize_keeps_a_revision_only_when_it_scores_better() -> None:
    evaluate, seen = _trials({"p {input}": 0.5, "worse {input}": 0.2, "better {input}": 0.75})
    revisions = iter(["worse {input}", "better {input}", "p {input}"])

    async def revise(prompt: str, failures: Sequence[Failure]) -> str | None:
        return next(revisions)

    found = asyncio.run(optimize("p {input}", 3, evaluate, revise))
    assert found.prompt == "better {input}"
    assert found.kept == [2]
    assert found.best.score == 0.75
    assert seen == ["p {input}", "worse {input}", "better {input}", "p {input}"]


def test_optimize_drops_a_revision_that_loses_the_input_placeholder() -> None:
    evaluate, seen = _trials({"p {input}": 0.5, "no placeholder": 1.0})

    async def revise(prompt: str, failures: Sequence[Failure]) -> str | None:
        return "no placeholder"

    found = asyncio.run(optimize("p {input}", 2, evaluate, revise))
    assert not found.improved and found.prompt == "p {input}"
    assert seen == ["p {input}"]  # never run: it could not see the input
    assert found.dropped == [
        "round 1: the revision lost {input}",
        "round 2: the revision lost {input}",
    ]


def test_optimize_stops_when_nothing_failed_or_the_budget_is_spent() -> None:
    evaluate, _ = _trials({"p": 1.0})

    async def revise(prompt: str, failures: Sequence[Failure]) -> str | None:
        raise AssertionError("nothing failed: no revision is asked for")

    assert asyncio.run(optimize("p", 3, evaluate, revise)).stopped_by == "no failed cases left"
    evaluate, _ = _trials({"p": 0.0})
    spent = asyncio.run(optimize("p", 3, evaluate, revise, out_of_budget=lambda: True))
    assert spent.stopped_by == "eval --max-usd" and spent.rounds == 0


def test_the_optimized_prompt_is_written_beside_never_over(tmp_path: Path) -> None:
    original = tmp_path / "classify.md"
    original.write_text("original {input}\n", encoding="utf-8")
    written = write_beside(original, "revised {input}")
    assert written == tmp_path / "classify.optimized.md"
    assert written.read_text(encoding="utf-8") == "revised {input}\n"
    assert original.read_text(encoding="utf-8") == "original {input}\n"
    assert prompt_file(tmp_path, "classify") == original
    with pytest.raises(EvalUsageError, match="pick one of classify"):
        prompt_file(tmp_path, "classify.optimized")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"input": "a"}\nnot json\n', "line 2 is not JSON"),
        ('{"input": "a"}\n[1, 2]\n', "line 2 is not a JSON object"),
        ('{"input": ""}\n', "line 1: 'input' must be a non-empty string"),
        ('{"text": "a"}\n', "line 1: unknown key 'text'"),
        ("\n\n", "holds no cases"),
    ],
)
def test_a_bad_cases_file_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EvalUsageError, match=message):
        load_cases(path)


def test_cases_read_expected_and_bare_strings(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('"just text"\n\n{"input": "b", "expected": null}\n', encoding="utf-8")
    first, second = load_cases(path)
    assert (first.input, first.has_expected, first.line) == ("just text", False, 1)
    assert (second.has_expected, second.expected, second.line) == (True, None, 3)


def test_judge_calls_in_flight_never_exceed_the_concurrency() -> None:
    from runtime.evaluation.cases import Case
    from runtime.evaluation.engine import EvalOptions, Evaluation

    in_flight, most = 0, 0

    async def fake_call(step: str, messages: object, max_tokens: int, model: object) -> object:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        for _ in range(5):
            await asyncio.sleep(0)  # yield to the other judgements (no real wait)
        in_flight -= 1
        return None  # an unreadable verdict: a tie

    async def judge_all() -> Match:
        ev = Evaluation.__new__(Evaluation)
        ev.project = type("P", (), {"task": "t", "criteria": ()})()  # type: ignore[assignment]
        ev.cases = [Case(line=i, input=f"in {i}") for i in range(6)]
        ev.opts = EvalOptions(concurrency=2)
        ev.gate = asyncio.Semaphore(2)
        ev.judge_asks = ev.judge_first = 0
        ev._call_now = fake_call  # type: ignore[method-assign]
        a = Row("a", [CaseRun("x", 0.0, 1, 0.0)] * 6, [None] * 6)
        b = Row("b", [CaseRun("y", 0.0, 1, 0.0)] * 6, [None] * 6)
        return await ev._match(a, b)

    match = asyncio.run(judge_all())
    assert match.ties == 6
    assert most == 2
