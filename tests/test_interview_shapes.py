"""The interview offers the shapes beyond the six rungs (a map over items, a cascade, subtasks
that need each other, a conversation, approval before side effects) only when the answers
point to them, and saves them in the answers format a file can stand in for."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from interview_script import replay

from advisor.answers import Answers, parse_answers
from advisor.commands.new import answers_yaml
from advisor.diagnose import diagnose
from advisor.interview import BACK, Question, run_questions

SHAPE_KEYS = {
    "_each",
    "_each_step",
    "dependencies",
    "_tier_by",
    "_strong_model",
    "approval",
    "conversation",
    "summarize_after",
}
"""The keys of the shape questions (a per-step key reads `_each:STEP`)."""


def keys(seen: list[Question]) -> list[str]:
    return [q.key for q in seen]


def shape_keys(seen: list[Question]) -> list[str]:
    return [k for k in keys(seen) if k.split(":")[0] in SHAPE_KEYS]


def saved(answers: Answers) -> dict[str, Any]:
    """The answers as `recommend` prints them to reuse with --answers, read back as YAML."""
    dumped = answers.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return yaml.safe_load(yaml.safe_dump(dumped, sort_keys=False))  # type: ignore[no-any-return]


def written_by_new(answers: Answers) -> dict[str, Any]:
    """The answers file `new` writes into the project, read back as YAML."""
    text = answers_yaml(answers.model_dump(mode="json", by_alias=True))
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def asked(seen: list[Question], key: str) -> Question:
    return next(q for q in seen if q.key == key)


ANSWER_KEYS = {f.alias or name for name, f in Answers.model_fields.items()}


@pytest.mark.parametrize(
    "script",
    [
        [],
        [("task", "Answer support emails"), ("steps", "diagnose, draft_reply")],
        [("task", "Turns invoices into a multi-step summary for every manager")],
        [("flow", "unknown"), ("task", "Research a topic"), ("tools", "search, read_file")],
        [("flow", "depends-on-input"), ("dependencies", False)],
    ],
)
def test_nothing_points_to_a_new_shape_so_none_is_asked(script: list[tuple[str, Any]]) -> None:
    ask, seen = replay(script)
    answers = run_questions(ask)
    expected = ["dependencies"] if answers.flow == "depends-on-input" else []
    assert shape_keys(seen) == expected  # the first ten minutes stay short
    assert set(saved(answers)) <= ANSWER_KEYS
    assert set(written_by_new(answers)) <= ANSWER_KEYS


def test_a_step_named_for_its_items_is_asked_whether_it_runs_once_per_item() -> None:
    ask, seen = replay([("steps", "summarize_chunk, combine")])
    answers = run_questions(ask)
    question = asked(seen, "_each:summarize_chunk")
    assert question.message.startswith("Does summarize_chunk run once per chunk")
    assert question.default is True
    assert "_each:combine" not in keys(seen)
    assert saved(answers)["steps"] == [{"name": "summarize_chunk", "each": "chunk"}, "combine"]
    rec = diagnose(answers)
    maps = [n for n in rec.composition.walk() if n.params.get("each") == "chunk"]
    assert maps, "the step runs as a map over chunks"
    # the saved file reads back to the same composition
    for doc in (saved(answers), written_by_new(answers)):
        again = parse_answers(doc, source="saved")
        assert diagnose(again).composition == rec.composition


def test_a_step_said_to_run_once_for_the_whole_input_stays_a_plain_step() -> None:
    ask, _ = replay([("steps", "summarize_chunk, combine"), ("_each:summarize_chunk", False)])
    answers = run_questions(ask)
    assert saved(answers)["steps"] == ["summarize_chunk", "combine"]


def test_a_task_done_per_section_asks_which_step_runs_per_section() -> None:
    ask, seen = replay(
        [
            ("task", "Summarize each section of a long report, then write one summary"),
            ("steps", "summarize, combine"),
            ("_each_step", "summarize"),
        ]
    )
    answers = run_questions(ask)
    question = asked(seen, "_each_step")
    assert "once per section" in question.message
    assert [c.value for c in question.choices] == ["summarize", "combine", "none"]
    assert question.default == "none"
    assert saved(answers)["steps"][0] == {"name": "summarize", "each": "section"}


def test_the_step_question_about_items_goes_with_the_other_step_questions() -> None:
    ask, seen = replay([("steps", "extract_section, review_section")])
    run_questions(ask)
    # one step at a time: all about the first step, then all about the second; the check
    # judges what the map made, so it is not asked whether it runs per section
    assert [k for k in keys(seen) if ":" in k] == [
        "_each:extract_section",
        "_by:review_section",
        "_on_fail:review_section",
    ]


def test_mixed_difficulty_offers_a_cascade_and_saves_its_two_tiers() -> None:
    ask, seen = replay([("mixed_difficulty", True), ("_tier_by", "cascade")])
    answers = run_questions(ask)
    by = asked(seen, "_tier_by")
    assert [c.value for c in by.choices] == ["classify", "cascade"]
    assert by.default == "classify"
    strong = asked(seen, "_strong_model")
    assert strong.default == "gpt-4o"
    assert keys(seen).index("_strong_model") > keys(seen).index("_model")
    doc = saved(answers)
    assert {k: doc["difficulty"][k] for k in ("easy", "hard", "by")} == {
        "easy": "openai/gpt-4o-mini",
        "hard": "openai/gpt-4o",
        "by": "cascade",
    }
    assert "mixed_difficulty" not in doc and doc["schema"] == 2
    assert set(doc) <= ANSWER_KEYS
    again = parse_answers(written_by_new(answers), source="saved")
    assert again.difficulty == answers.difficulty


def test_a_cascade_with_an_anthropic_model_escalates_to_a_stronger_anthropic_one() -> None:
    ask, _ = replay(
        [("mixed_difficulty", True), ("_tier_by", "cascade"), ("_provider", "anthropic")]
    )
    answers = run_questions(ask)
    assert answers.difficulty is not None
    assert answers.difficulty.easy == "anthropic/claude-haiku-4-5"
    assert answers.difficulty.hard == "anthropic/claude-sonnet-4-5"


def test_a_cascade_with_models_given_by_data_asks_for_a_full_model_string() -> None:
    ask, seen = replay([("mixed_difficulty", True), ("_tier_by", "cascade")])
    answers = run_questions(ask, preset={"models": {"default": "ollama/llama3.1"}})
    assert asked(seen, "_strong_model").default == "openai/gpt-4o"
    assert answers.difficulty is not None
    assert (answers.difficulty.easy, answers.difficulty.hard) == (
        "ollama/llama3.1",
        "openai/gpt-4o",
    )


def test_a_classify_call_up_front_keeps_the_plain_difficulty_answer() -> None:
    ask, seen = replay([("mixed_difficulty", True)])
    answers = run_questions(ask)
    assert "_strong_model" not in keys(seen)
    assert answers.mixed_difficulty and answers.difficulty is None


def test_planned_subtasks_are_asked_whether_they_need_each_others_results() -> None:
    ask, seen = replay(
        [("flow", "depends-on-input"), ("categories", "python, sql"), ("dependencies", True)]
    )
    answers = run_questions(ask)
    assert asked(seen, "dependencies").default is False
    assert saved(answers)["dependencies"] is True


def test_a_chat_task_is_asked_whether_it_is_a_conversation_and_when_to_summarize() -> None:
    ask, seen = replay([("task", "A chat tutor for algebra homework"), ("summarize_after", "6")])
    answers = run_questions(ask)
    assert asked(seen, "conversation").default is True
    assert asked(seen, "summarize_after").default == "10"
    doc = saved(answers)
    assert doc["conversation"] is True and doc["summarize_after"] == 6


def test_no_conversation_asks_nothing_about_summaries() -> None:
    ask, seen = replay(
        [
            ("task", "A chat tutor for algebra homework"),
            ("conversation", True),
            ("summarize_after", BACK),
            ("conversation", False),
        ]
    )
    answers = run_questions(ask)
    assert keys(seen).count("summarize_after") == 1
    assert not answers.conversation and answers.summarize_after is None


def test_a_summary_after_zero_turns_is_refused_with_a_way_out() -> None:
    ask, seen = replay([("task", "A chat tutor"), ("summarize_after", "8")])
    run_questions(ask)
    question = asked(seen, "summarize_after")
    assert "at least 1" in (question.validate("0") or "")
    assert question.validate("3") is None


def test_tools_with_side_effects_are_offered_for_approval() -> None:
    ask, seen = replay(
        [
            ("flow", "unknown"),
            ("task", "Handle refund requests"),
            ("tools", "lookup_order, issue_refund, send_email"),
        ]
    )
    answers = run_questions(ask)
    question = asked(seen, "approval")
    assert [c.value for c in question.choices] == ["lookup_order", "issue_refund", "send_email"]
    assert question.default == "issue_refund, send_email"  # the ones whose names act
    assert saved(answers)["approval"] == ["issue_refund", "send_email"]
    assert not any("approval" in w for w in diagnose(answers).warnings)


def test_approval_takes_only_listed_tools_in_their_own_spelling() -> None:
    ask, seen = replay(
        [
            ("flow", "unknown"),
            ("tools", "lookup_order, issue_refund"),
            ("approval", "Issue_Refund"),
        ]
    )
    answers = run_questions(ask)
    assert answers.approval == ["issue_refund"]
    question = asked(seen, "approval")
    assert "not one of lookup_order, issue_refund" in (question.validate("pay_out") or "")
    assert question.validate("none") is None  # none need a yes: the advisor then warns


def test_declining_approval_leaves_the_advisors_warning() -> None:
    ask, _ = replay([("flow", "unknown"), ("tools", "issue_refund"), ("approval", "none")])
    answers = run_questions(ask)
    assert answers.approval == []
    assert any("issue_refund" in w and "approval" in w for w in diagnose(answers).warnings)


@pytest.mark.parametrize("name", ["draft", "reply", "answer", "draft_reply", "write_summary"])
def test_a_name_that_plainly_generates_is_not_asked_its_role(name: str) -> None:
    ask, seen = replay([("steps", f"{name}, check_style")])
    answers = run_questions(ask)
    assert f"_role:{name}" not in keys(seen)
    assert diagnose(answers).composition is not None


def test_a_generate_word_beside_another_roles_word_takes_that_role() -> None:
    ask, seen = replay([("steps", "outline, review_draft")])
    run_questions(ask)
    assert "_role:review_draft" not in keys(seen)  # review: a check, unasked
    assert "_by:review_draft" in keys(seen)


def test_a_name_with_a_generate_word_first_and_a_check_word_is_asked_its_role() -> None:
    ask, seen = replay([("steps", "outline, write_review")])
    run_questions(ask)
    assert "_role:write_review" in keys(seen)  # writes a review, or judges? asked


def test_a_step_that_acts_is_asked_whether_it_waits_for_a_yes() -> None:
    ask, seen = replay([("steps", "draft_reply, send_reply")])
    answers = run_questions(ask)
    question = asked(seen, "_asks:send_reply")
    assert question.message.startswith("send_reply acts outside the system")
    assert "_asks:draft_reply" not in keys(seen)
    doc = saved(answers)
    assert doc["tools"] == ["send_reply"] and doc["approval"] == ["send_reply"]
    rec = diagnose(answers)
    gated = [n for n in rec.composition.walk() if n.params.get("approval")]
    assert [n.steps for n in gated] == [["send_reply"]]
    assert not any("nothing asks" in w for w in rec.warnings)


def test_an_acting_step_that_needs_no_yes_stays_a_plain_step() -> None:
    ask, _ = replay([("steps", "draft_reply, send_reply"), ("_asks:send_reply", False)])
    answers = run_questions(ask)
    assert answers.tools == [] and answers.approval == []
    assert "approval" not in saved(answers)
