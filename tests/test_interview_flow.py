"""The interview's progress, its way back, the provider and model, and answers preset by --data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from interview_script import replay
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from advisor.diagnose import diagnose
from advisor.interview import BACK, Question, questionary_asker, run_questions


def test_each_question_says_where_it_is_in_the_interview() -> None:
    ask, seen = replay([])
    run_questions(ask)
    totals = {q.total for q in seen}
    assert [q.number for q in seen] == list(range(1, len(seen) + 1))
    assert totals == {len(seen)}  # with the defaults, the count shown at the start holds
    assert seen[2].progress == f"question 3 of {len(seen)}"


def test_back_returns_to_the_previous_question_and_forgets_its_answer() -> None:
    ask, seen = replay(
        [
            ("flow", "known"),
            ("task", "first try"),
            ("steps", BACK),  # back to the task
            ("task", BACK),  # and back to the flow
            ("flow", "unknown"),
            ("task", "Research a topic"),
            ("tools", "search"),
        ]
    )
    answers = run_questions(ask)
    assert answers.flow == "unknown" and answers.task == "Research a topic"
    assert answers.tools == ["search"]
    keys = [q.key for q in seen]
    assert keys[:6] == ["flow", "task", "steps", "task", "flow", "task"]
    assert not seen[0].back and seen[1].back  # nothing before the first question


def test_going_back_undoes_the_follow_ups_of_the_old_answer() -> None:
    ask, seen = replay(
        [
            ("refinement", True),
            ("criteria", BACK),  # back to "does critique help?"
            ("refinement", False),
        ]
    )
    answers = run_questions(ask)
    assert not answers.refinement and answers.criteria == []
    assert [q.key for q in seen].count("criteria") == 1


@pytest.mark.parametrize(
    ("provider", "model", "models", "api_base"),
    [
        ("openai", "gpt-4o", "openai/gpt-4o", None),
        ("anthropic", "claude-haiku-4-5", "anthropic/claude-haiku-4-5", None),
        ("ollama", "ollama/llama3.1", "ollama/llama3.1", None),
        ("compatible", "gemma-3-270m", "openai/gemma-3-270m", "http://localhost:8080/v1"),
    ],
)
def test_the_provider_and_model_reach_the_settings(
    provider: str, model: str, models: str, api_base: str | None
) -> None:
    script = [("_provider", provider), ("_model", model)]
    if api_base:
        script.append(("api_base", api_base))
    ask, _ = replay(script)
    answers = run_questions(ask)
    assert answers.models == {"default": models}
    assert answers.api_base == api_base
    settings = diagnose(answers).settings()
    assert settings.models.api_base == api_base
    # every step, the small classify/evaluate ones too, runs on the chosen provider
    assert {
        m.split("/")[0] for m in [settings.models.default, *settings.models.steps.values()]
    } == {models.split("/")[0]}


def test_the_provider_choice_names_the_key_each_needs() -> None:
    ask, seen = replay([])
    run_questions(ask)
    provider = next(q for q in seen if q.key == "_provider")
    titles = " | ".join(c.title for c in provider.choices)
    assert "OPENAI_API_KEY" in titles and "ANTHROPIC_API_KEY" in titles
    assert "Ollama" in titles and "no key" in titles and "OpenAI-compatible" in titles


def test_a_compatible_server_needs_a_url() -> None:
    from advisor.interview_questions import QUESTIONS

    url = next(q for q in QUESTIONS if q.key == "api_base")
    assert url.validate("") is not None
    assert url.validate("localhost:8080") is not None
    assert url.validate("http://localhost:8080/v1") is None


def test_preset_answers_are_not_asked() -> None:
    ask, seen = replay([])
    answers = run_questions(
        ask, preset={"steps": ["draft", "review"], "models": {"default": "x/y"}}
    )
    keys = {q.key for q in seen}
    assert "steps" not in keys and "_provider" not in keys and "_model" not in keys
    assert answers.steps == ["draft", "review"] and answers.models == {"default": "x/y"}


# --- the terminal adapter: `<` goes back ------------------------------------------------------

ENTER = "\r"


@pytest.fixture
def pipe() -> Iterator[Any]:
    with create_pipe_input() as inp:
        yield inp


@pytest.mark.parametrize(
    ("kind", "keys"),
    [("text", ["<", ENTER]), ("confirm", ["<"]), ("select", ["<"])],
)
def test_lt_goes_back_at_every_kind_of_prompt(pipe: Any, kind: str, keys: list[str]) -> None:
    from advisor.question import Choice

    question = Question(
        key="x",
        kind=kind,  # type: ignore[arg-type]
        message="?",
        default=False if kind == "confirm" else "a",
        choices=(Choice(value="a", title="A"),) if kind == "select" else (),
        number=2,
        total=3,
        back=True,
    )
    ask = questionary_asker(input=pipe, output=DummyOutput())
    for chunk in keys:
        pipe.send_text(chunk)
    assert ask(question) == BACK


def test_the_loop_and_the_vote_ask_which_step_they_wrap() -> None:
    ask, seen = replay(
        [
            ("steps", "extract_claims, classify_risk, write_summary"),
            ("needs_confidence", True),
            ("vote", "classify_risk"),
            ("refinement", True),
            ("criteria", "cites every claim"),
        ]
    )
    answers = run_questions(ask)
    asked = {q.key: q for q in seen}
    assert [c.value for c in asked["refine"].choices] == [
        "extract_claims",
        "classify_risk",
        "write_summary",
    ]
    assert asked["refine"].default == "write_summary"
    assert answers.vote == "classify_risk" and answers.refine == "write_summary"
    tree = diagnose(answers).composition
    wrapped = {n.pattern: n.children[0].name for n in tree.walk() if n.children}
    assert wrapped["parallel-voting"] == "classify_risk"
    assert wrapped["evaluator-optimizer"] == "write_summary"


def test_one_step_asks_no_placement() -> None:
    ask, seen = replay([("steps", "answer"), ("needs_confidence", True), ("refinement", True)])
    run_questions(ask)
    assert not {"vote", "refine"} & {q.key for q in seen}
