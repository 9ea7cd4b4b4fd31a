"""Answers v2 (CONTRACTS §1): step mappings, stages, per-category pipelines, tiers, targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.answers import load_answers
from advisor.errors import UserError
from advisor.task_model import infer_role


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("check_style", "check"),
        ("investigate", "generate"),
        ("aggregate", "generate"),
        ("upgrade", "generate"),
        ("translate", "transform"),
        ("summarize", "transform"),
        ("format", "transform"),
        ("extract_dates", "extract"),
        ("parse", "extract"),
        ("classify", "classify"),
        ("categorize_ticket", "classify"),
        ("triage", "classify"),
        ("draft_article", "generate"),
        ("checkout_summary", "generate"),
        ("StyleCheck", "check"),
        ("write_review", "generate"),  # the first word decides: it writes a review
        ("review_draft", "check"),
    ],
)
def test_role_is_read_from_whole_words(name: str, role: str) -> None:
    assert infer_role(name) == role


def test_a_step_that_writes_a_review_is_revised_by_the_check_that_checks_it() -> None:
    # Before: write_review was read as a check (from "review"), so the review it wrote never
    # replaced the artifact and check_review's `on_fail: revise` loop was silently dropped.
    from advisor.answers import parse_answers
    from advisor.diagnose import diagnose

    steps = ["summarize_diff", "write_review"]
    check = {"name": "check_review", "role": "check", "checks": "write_review", "on_fail": "revise"}
    chain = diagnose(parse_answers({"schema": 2, "name": "cr", "steps": [*steps, check]}))
    loop = chain.composition.children[1]
    assert loop.pattern == "evaluator-optimizer"
    assert [c.name for c in loop.children] == ["write_review"]


def test_a_full_v2_file_parses(tmp_path: Path) -> None:
    answers = load_answers(
        write(
            tmp_path,
            "schema: 2\nname: blog\nsteps:\n  - draft_article\n"
            "  - {name: check_style, role: check, on_fail: revise}\n"
            "  - {parallel: [fact_check, legal_check], merge: code}\n"
            "  - translate\n"
            "guardrails: [topical, {name: injection, by: code}]\nguard: draft_article\n"
            "criteria: [faithful, {name: tests_pass, by: code}]\nrefine: draft_article\n"
            "difficulty: {easy: openai/gpt-4o-mini, hard: openai/gpt-4o}\n"
            "tools: [send_email]\napproval: [send_email]\n",
        )
    )
    assert answers.step_names == [
        "draft_article",
        "check_style",
        "fact_check",
        "legal_check",
        "translate",
    ]
    assert [s.kind for s in answers.step_specs] == [
        "generate",
        "check",
        "check",
        "check",
        "transform",
    ]
    assert [c.by for c in answers.criteria_specs] == ["model", "code"]
    assert answers.difficulty is not None and answers.difficulty.hard == "openai/gpt-4o"


def test_categories_as_pipelines(tmp_path: Path) -> None:
    answers = load_answers(
        write(
            tmp_path,
            "schema: 2\nname: desk\ncategories:\n  billing: [lookup_invoice, draft_reply]\n"
            "  technical: [diagnose, draft_reply]\n",
        )
    )
    assert answers.category_names == ["billing", "technical"]
    assert [s.name for s in answers.category_pipelines["technical"]] == ["diagnose", "draft_reply"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("steps: [draft, translate]\nrefine: polish\n", "`refine: polish` names no step"),
        (
            "steps: [a]\ncategories: {x: [b], y: [c]}\n",
            "`steps` and a pipeline per category cannot both be given",
        ),
        ("steps: [draft]\nvote: classify\n", "`vote: classify` names no step"),
        (
            "steps: [draft, {name: check_x, checks: translate}, translate]\n",
            "which runs later",
        ),
        ("steps: [draft, {name: review, checks: nothing}]\n", "`nothing`, which is not a step"),
        (  # was accepted, its on_fail: revise dropped, "judges the input before anything runs"
            "steps: [draft, check_a, {name: check_b, checks: check_a, on_fail: revise}]\n",
            "`check_b` checks `check_a`, which is a check itself",
        ),
        ("steps: [draft]\nguardrails: [topical]\nguard: send\n", "`guard: send` names no step"),
        ("steps: [draft]\nguard: draft\n", "no `guardrails` are listed"),
        ("steps: [draft, {name: translate, on_fail: revise}]\n", "only a check step takes it"),
        ("steps: [draft, {name: check_x, role: judge}]\n", "'judge' is not allowed"),
        ("steps: [draft, {name: check_x, colour: red}]\n", "unknown key `colour`"),
        ("steps: [draft, {parallel: [a]}]\n", "steps[1]"),
        ("steps: [draft, draft]\n", "appears twice"),
        ("steps: [draft, {parallel: [draft, b]}]\n", "appears twice"),
        ("steps: [draft, check_style]\nrefine: check_style\n", "names a check"),
        ("tools: [send]\napproval: [refund]\n", "`refund`, which is not in `tools`"),
        ("steps: [a, {parallel: [b, c]}]\nindependent_subtasks: [d, e]\n", "say the same thing"),
        ("flow: unknown\nrefine: a\n", "with `flow: unknown` there are none"),
        ("categories: {x: [a], y: [b]}\nflow: depends-on-input\n", "needs `flow: known`"),
        ("steps: [[a]]\n", "is not a step"),
        ("steps: [draft]\nguardrails: [draft]\nguard: draft\n", "both a step and a guardrail"),
    ],
)
def test_contradictions_are_one_line_errors(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(UserError) as err:
        load_answers(write(tmp_path, "schema: 2\nname: x\n" + text))
    message = str(err.value)
    assert fragment in message, message
    assert "\n" not in message


def test_schema_1_names_the_v2_key(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        load_answers(write(tmp_path, "schema: 1\nname: x\nsteps: [a, b]\nrefine: a\n"))
    assert "`refine` in this form needs `schema: 2`" in str(err.value)


def test_v1_files_still_parse_with_string_steps(tmp_path: Path) -> None:
    answers = load_answers(
        write(tmp_path, "schema: 1\nname: x\nsteps: [a, b]\ncriteria: [faithful]\n")
    )
    assert answers.steps == ["a", "b"]
    assert answers.criteria == ["faithful"]
