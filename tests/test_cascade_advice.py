"""A cascade in the advisor and the estimate: the tree, the calls, the words, the break-even."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advisor.answers import parse_answers
from advisor.diagnose import diagnose
from runtime.estimate import calibrate, estimate_settings
from runtime.model_calls.prices import PriceBook
from runtime.params import with_defaults
from runtime.plan import Node

CHEAP, STRONG = "openai/gpt-4o-mini", "openai/gpt-4o"


def answers(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": 2,
        "name": "support",
        "steps": ["answer_question"],
        "difficulty": {"easy": CHEAP, "hard": STRONG, "by": "cascade"},
        "volume_per_day": 1000,
    }
    return base | extra


def cascade_of(tree: Node) -> Node:
    (node,) = [n for n in tree.walk() if n.params.get("by") == "cascade"]
    return node


def test_a_cascade_replaces_the_classify_call_and_counts_one_plus_the_escalation() -> None:
    rec = diagnose(parse_answers(answers()))
    node = cascade_of(rec.composition)
    assert "classify" not in rec.composition.all_steps()
    assert node.steps == ["confidence"]
    assert [c.name for c in node.children] == ["easy_answer_question", "hard_answer_question"]
    # easy + check + 30% of a strong call; at worst all three
    assert rec.calls_per_request.expected == pytest.approx(2.3)
    assert rec.calls_per_request.worst == 3
    assert rec.params.models["easy_answer_question"] == CHEAP
    assert rec.params.models["confidence"] == CHEAP
    assert rec.params.models["hard_answer_question"] == STRONG
    assert not any("not yet wired" in w for w in rec.warnings)
    why = " ".join(rec.reasons)
    assert (
        f"easy enough for {CHEAP}" in why and "answer first" in why and f"go on to {STRONG}" in why
    )


def test_a_code_check_makes_no_call_and_names_the_function_to_fill_in() -> None:
    d = {"easy": CHEAP, "hard": STRONG, "by": "cascade", "check": "code"}
    rec = diagnose(parse_answers(answers(difficulty=d)))
    assert cascade_of(rec.composition).steps == []
    assert rec.calls_per_request.expected == pytest.approx(1.3)
    assert rec.calls_per_request.worst == 2
    assert "confidence.py: confidence" in " ".join(rec.reasons)


def test_with_categories_each_handler_gets_its_own_cascade() -> None:
    rec = diagnose(parse_answers(answers(categories=["billing", "technical"])))
    tree = rec.composition
    assert tree.params.get("by") == "category"
    assert [c.params.get("by") for c in tree.children] == ["cascade", "cascade"]
    assert {c.steps[0] for c in tree.children} == {"billing_confidence", "technical_confidence"}


def test_the_break_even_uses_the_models_prices_and_is_in_the_advice() -> None:
    rec = diagnose(parse_answers(answers()))
    est = estimate_settings(rec.settings(), {}, with_alternatives=False)
    (b,) = est.cascades
    book = PriceBook({})
    cheap, strong = book.price(CHEAP), book.price(STRONG)
    assert cheap is not None and strong is not None
    # the same answer on the strong model costs what its price ratio says
    ratio = strong.output_per_mtok / cheap.output_per_mtok
    assert b.strong_usd / b.cheap_usd == pytest.approx(ratio, rel=0.05)
    assert b.rate == pytest.approx(1 - (b.cheap_usd + b.check_usd) / b.strong_usd)
    assert 0.5 < b.rate < 1 and b.pays
    advice = [w for w in rec.warnings if "break-even escalation rate" in w]
    assert advice and f"{b.rate:.0%}" in advice[0] and "pays" in advice[0]


def test_one_model_for_both_tiers_never_pays_and_the_advice_says_so() -> None:
    rec = diagnose(
        parse_answers(answers(difficulty={"easy": STRONG, "hard": STRONG, "by": "cascade"}))
    )
    (b,) = estimate_settings(rec.settings(), {}, with_alternatives=False).cascades
    assert b.rate <= 0 and not b.pays
    assert any("never cheaper than the strong model" in w for w in rec.warnings)
    assert any("only adds calls" in w for w in rec.warnings)


def test_cascade_params_are_checked_when_settings_load() -> None:
    node = cascade_of(diagnose(parse_answers(answers())).composition)
    filled = with_defaults(node).params
    assert 0 < filled["threshold"] <= 1 and 0 <= filled["expected_escalation"] <= 1
    for key, bad in (("threshold", 0), ("expected_escalation", 1.5), ("check", "vibes")):
        broken = node.model_copy(update={"params": node.params | {key: bad}})
        with pytest.raises(ValueError, match=f"'cascade': {key}"):
            with_defaults(broken)


def test_the_estimate_learns_the_escalation_rate_from_a_trace(tmp_path: Path) -> None:
    settings = diagnose(parse_answers(answers())).settings()
    lines: list[dict[str, Any]] = []
    for escalated in (True, False, False, False):  # one in four escalates
        lines.append({"step": "cascade>easy_answer_question", "prompt_tokens": 60})
        lines.append({"step": "cascade>confidence", "prompt_tokens": 300})
        lines.append({"cascade": {"name": "cascade", "escalated": escalated}})
        if escalated:
            lines.append({"step": "cascade>hard_answer_question", "prompt_tokens": 60})
        lines.append({"summary": True})
    trace = tmp_path / "run.jsonl"
    trace.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    cal = calibrate([trace])
    assert cal.escalations["cascade"].rate == 0.25
    (b,) = estimate_settings(settings, {}, calibration=cal, with_alternatives=False).cascades
    assert b.measured and b.expected_escalation == 0.25
