"""The interview's questions about each step: a role when the name leaves it open, and where a
check goes (the step it judges, a model or code, stop or revise), asked only when needed."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from interview_script import replay

from advisor.answers import parse_answers
from advisor.commands.new import answers_yaml
from advisor.diagnose import diagnose
from advisor.interview import BACK, Question, run_questions
from runtime.plan import Node


def keys(seen: list[Question]) -> list[str]:
    return [q.key for q in seen]


def step_keys(seen: list[Question]) -> list[str]:
    return [q.key for q in seen if ":" in q.key]


def saved(answers: Any) -> dict[str, Any]:
    """The answers as `recommend` prints them to reuse with --answers, read back as YAML."""
    dumped = answers.model_dump(by_alias=True, exclude_defaults=True)
    return yaml.safe_load(yaml.safe_dump(dumped, sort_keys=False))  # type: ignore[no-any-return]


def node(tree: Node, name: str) -> Node:
    return next(n for n in tree.walk() if n.name == name)


def test_only_names_that_leave_the_role_open_are_asked_about() -> None:
    ask, seen = replay([("steps", "outline, summarize_review, translate, check_style")])
    answers = run_questions(ask)
    asked = {q.key: q for q in seen}
    assert [k for k in step_keys(seen) if k.startswith("_role")] == [
        "_role:outline",  # no role word: it would generate
        "_role:summarize_review",  # two roles' words: transform and check
    ]
    role = asked["_role:outline"]
    assert role.message == "What does outline do with the text?"
    assert [c.value for c in role.choices] == [
        "generate",
        "extract",
        "transform",
        "check",
        "classify",
    ]
    assert all(": " in c.title and len(c.title) > 20 for c in role.choices)  # plain words
    assert role.default == "generate"
    assert asked["_role:summarize_review"].default == "transform"  # the first word decides
    assert "transform and check" in asked["_role:summarize_review"].hint
    assert saved(answers)["steps"][:2] == [
        {"name": "outline", "role": "generate"},
        {"name": "summarize_review", "role": "transform"},
    ]
    assert saved(answers)["schema"] == 2


@pytest.mark.parametrize(
    "script",
    [
        [("steps", "outline")],  # one step
        [("flow", "unknown"), ("tools", "search")],  # no steps are asked
        [("flow", "depends-on-input"), ("categories", "python, sql")],
    ],
)
def test_one_step_or_no_known_steps_asks_nothing_about_steps(
    script: list[tuple[str, Any]],
) -> None:
    ask, seen = replay(script)
    answers = run_questions(ask)
    assert step_keys(seen) == []
    assert all(isinstance(s, str) for s in answers.steps)


def test_steps_given_with_data_are_not_asked_about() -> None:
    ask, seen = replay([])
    answers = run_questions(ask, preset={"steps": ["outline", "proof"]})
    assert step_keys(seen) == [] and answers.steps == ["outline", "proof"]


def test_a_check_asks_what_it_judges_who_checks_and_what_a_failure_does() -> None:
    ask, seen = replay([("steps", "outline, draft, check_style")])
    answers = run_questions(ask)
    asked = {q.key: q for q in seen}
    judged = asked["_checks:check_style"]
    assert [c.value for c in judged.choices] == ["outline", "draft"]
    assert judged.default == "draft"  # the nearest earlier step that is not a check
    assert asked["_by:check_style"].default == "model"
    on_fail = asked["_on_fail:check_style"]
    assert on_fail.default == "stop"
    assert "goes back to draft" in on_fail.choices[1].title
    assert "at most 3 rounds" in on_fail.choices[1].title
    # the defaults are not written: the check stays a bare name
    assert saved(answers)["steps"][2] == "check_style"
    assert node(diagnose(answers).composition, "check_style").params["checks"] == "draft"


def test_with_one_earlier_step_the_check_is_not_asked_what_it_judges() -> None:
    ask, seen = replay([("steps", "draft_article, check_style, translate")])
    run_questions(ask)
    # draft_article plainly generates: no role question for it
    assert step_keys(seen) == ["_by:check_style", "_on_fail:check_style"]


def test_a_check_that_revises_becomes_a_loop_around_the_step_it_judges() -> None:
    ask, _ = replay(
        [
            ("steps", "draft_article, check_style, translate"),
            ("_on_fail:check_style", "revise"),
        ]
    )
    answers = run_questions(ask)
    assert saved(answers)["steps"][1] == {"name": "check_style", "on_fail": "revise"}
    tree = diagnose(answers).composition
    loop = node(tree, "check_style")
    assert loop.pattern == "evaluator-optimizer"
    assert [c.name for c in loop.children] == ["draft_article"]
    assert loop.params["max_rounds"] == 3
    # the translation runs once, after the loop, on the draft that passed
    assert [c.name for c in tree.children] == ["check_style", "translate"]


def test_a_chosen_check_judged_by_code_costs_no_call() -> None:
    ask, seen = replay(
        [
            ("steps", "body, proof"),
            ("_role:proof", "check"),
            ("_by:proof", "code"),
        ]
    )
    answers = run_questions(ask)
    assert "_on_fail:proof" in keys(seen)
    assert saved(answers)["steps"] == [
        {"name": "body", "role": "generate"},
        {"name": "proof", "role": "check", "by": "code"},
    ]
    proof = node(diagnose(answers).composition, "proof")
    assert proof.pattern == "code" and proof.steps == []


def test_a_check_of_an_earlier_step_gates_that_step() -> None:
    ask, _ = replay([("steps", "outline, draft, check_style"), ("_checks:check_style", "outline")])
    answers = run_questions(ask)
    assert saved(answers)["steps"][2] == {"name": "check_style", "checks": "outline"}
    tree = diagnose(answers).composition
    assert node(tree, "check_style").params["checks"] == "outline"
    # the check moves beside what it judges: it runs before the draft is written
    assert [c.name for c in tree.children] == ["outline", "check_style", "draft"]


def test_the_saved_answers_read_back_to_the_same_composition() -> None:
    ask, _ = replay(
        [
            ("steps", "outline, draft, check_style"),
            ("_checks:check_style", "outline"),
            ("_on_fail:check_style", "revise"),
        ]
    )
    answers = run_questions(ask)
    again = parse_answers(saved(answers), source="saved")
    assert diagnose(again).composition == diagnose(answers).composition
    # `new` writes every field of the step mappings; that file reads back too
    text = answers_yaml(answers.model_dump(mode="json", by_alias=True))
    from_new = parse_answers(yaml.safe_load(text), source="wfadvise-answers.yaml")
    assert diagnose(from_new).composition == diagnose(answers).composition


def test_the_critique_loop_is_not_offered_a_check_to_wrap() -> None:
    ask, seen = replay(
        [
            ("steps", "draft, check_style"),
            ("refinement", True),
            ("criteria", "plain words"),
        ]
    )
    answers = run_questions(ask)
    refine = next(q for q in seen if q.key == "refine")
    assert [c.value for c in refine.choices] == ["draft"]
    assert answers.refine == "draft"


def test_back_works_across_the_step_questions() -> None:
    ask, seen = replay(
        [
            ("steps", "outline, body, check_style"),
            ("_role:outline", "extract"),
            ("_role:body", BACK),  # back to outline's role
            ("_role:outline", "generate"),
            ("_role:body", "check"),  # body now checks outline
            ("_by:body", "code"),
            ("_on_fail:body", BACK),  # back: body is checked by a model after all
            ("_by:body", "model"),
            ("_on_fail:body", "revise"),
            ("_by:check_style", BACK),
            ("_on_fail:body", "stop"),
        ]
    )
    answers = run_questions(ask)
    assert step_keys(seen) == [
        "_role:outline",
        "_role:body",
        "_role:outline",
        "_role:body",
        "_by:body",
        "_on_fail:body",
        "_by:body",
        "_on_fail:body",
        "_by:check_style",
        "_on_fail:body",
        "_by:check_style",
        "_on_fail:check_style",
    ]  # with one non-check before it, check_style is not asked what it judges
    assert saved(answers)["steps"] == [
        {"name": "outline", "role": "generate"},
        {"name": "body", "role": "check"},
        "check_style",
    ]


def test_back_from_the_first_step_question_to_the_steps_forgets_them() -> None:
    ask, seen = replay(
        [
            ("steps", "outline, draft"),
            ("_role:outline", BACK),
            ("steps", "answer"),
        ]
    )
    answers = run_questions(ask)
    assert step_keys(seen) == ["_role:outline"] and answers.steps == ["answer"]


def test_the_count_shown_holds_once_the_steps_are_known() -> None:
    ask, seen = replay([("steps", "outline, draft, check_style")])
    run_questions(ask)
    after = seen[keys(seen).index("steps") + 1 :]
    assert after and {q.total for q in after} == {len(seen)}
    assert [q.number for q in seen] == list(range(1, len(seen) + 1))


def test_a_check_before_any_other_step_is_not_asked_to_revise() -> None:
    ask, seen = replay([("steps", "moderate_input, answer"), ("_by:moderate_input", "code")])
    answers = run_questions(ask)
    # nothing earlier to judge or send feedback to: who checks, but not what a failure does
    assert step_keys(seen) == ["_by:moderate_input"]
    assert saved(answers)["steps"][0] == {"name": "moderate_input", "by": "code"}
