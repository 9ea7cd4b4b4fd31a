"""The interview without a terminal: question data, `when` conditions, validators, and the
questionary adapter driven through prompt_toolkit pipe input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from advisor.diagnose import diagnose
from advisor.errors import Interrupted
from advisor.intake import ACCEPT, interview, obtain
from advisor.interview import QUESTIONS, Question, questionary_asker, run_questions


def scripted(replies: dict[str, Any]) -> tuple[Any, list[str]]:
    """An asker answering by question key (defaults otherwise), recording what was asked."""
    asked: list[str] = []

    def ask(q: Question) -> str | bool:
        asked.append(q.key)
        reply = replies.get(q.key, q.default)
        assert reply is True or reply is False or q.validate(str(reply)) is None
        return reply  # type: ignore[no-any-return]

    return ask, asked


def test_opens_with_the_diagnostic_question() -> None:
    assert QUESTIONS[0].key == "flow"
    assert "draw the process flow" in QUESTIONS[0].message
    assert [c.value for c in QUESTIONS[0].choices] == ["known", "depends-on-input", "unknown"]


@pytest.mark.parametrize(
    ("replies", "asked", "not_asked"),
    [
        ({"flow": "known"}, {"steps", "categories", "independent_subtasks"}, {"tools", "merge"}),
        ({"flow": "unknown"}, {"tools"}, {"steps", "categories", "needs_confidence"}),
        ({"flow": "depends-on-input"}, {"categories"}, {"steps", "tools"}),
        ({"needs_confidence": True}, {"errors_are_random"}, set()),
        ({"needs_confidence": False}, set(), {"errors_are_random"}),
        ({"refinement": True}, {"criteria"}, set()),
        ({"refinement": False}, set(), {"criteria"}),
        ({"independent_subtasks": "a, b"}, {"merge"}, set()),
        ({"independent_subtasks": "a"}, set(), {"merge"}),
    ],
)
def test_follow_ups_only_where_they_matter(
    replies: dict[str, Any], asked: set[str], not_asked: set[str]
) -> None:
    ask, seen = scripted(replies)
    run_questions(ask)
    assert asked <= set(seen)
    assert not (not_asked & set(seen))
    assert seen[-1] == "name"


def test_defaults_alone_give_a_single_call() -> None:
    ask, _ = scripted({})
    answers = run_questions(ask)
    assert answers.name == "my-workflow" and answers.steps == ["answer"]
    assert answers.volume_per_day == 1000 and answers.budget_usd_per_request is None


def test_answers_are_parsed_into_the_model() -> None:
    ask, _ = scripted(
        {
            "steps": "extract, review ,  ",
            "categories": "billing, technical",
            "volume_per_day": "2,500",
            "budget_usd_per_request": "$0.05",
            "name": "support-desk",
        }
    )
    answers = run_questions(ask)
    assert answers.steps == ["extract", "review"]
    assert answers.categories == ["billing", "technical"]
    assert answers.volume_per_day == 2500 and answers.budget_usd_per_request == 0.05


def by_key(key: str) -> Question:
    return next(q for q in QUESTIONS if q.key == key)


@pytest.mark.parametrize(
    ("key", "raw", "fragment"),
    [
        ("name", "9lives", "start with a letter"),
        ("name", "-desk", "start with a letter"),
        ("steps", "draft, draft", "appears twice"),
        ("steps", "draft, !!", "start each name with a letter"),
        ("criteria", "faithful, faithful", "appears twice"),
        ("volume_per_day", "lots", "not a whole number"),
        ("volume_per_day", "-3", "not a whole number"),
        ("budget_usd_per_request", "cheap", "not an amount"),
        ("budget_usd_per_request", "0", "above zero"),
    ],
)
def test_validators_explain_what_to_type(key: str, raw: str, fragment: str) -> None:
    problem = by_key(key).validate(raw)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("name", "support-desk"),
        ("steps", ""),
        ("volume_per_day", "1_000"),
        ("budget_usd_per_request", ""),
        ("criteria", "faithful, keeps the author's voice, 3 sentences at most"),
    ],
)
def test_validators_accept_good_answers(key: str, raw: str) -> None:
    assert by_key(key).validate(raw) is None


def test_decision_accepts_or_overrides_with_costs_shown() -> None:
    ask, _ = scripted({"categories": "billing, general"})
    decisions = iter(["agent-loop", ACCEPT])
    titles: list[str] = []

    def ask_all(q: Question) -> str | bool:
        if q.key == "decision":
            titles.extend(c.title for c in q.choices)
            return next(decisions)
        return ask(q)  # type: ignore[no-any-return]

    console = Console(record=True, width=100)
    rec = interview(ask_all, console)
    assert rec.pattern == "agent-loop" and rec.override == "agent-loop"
    assert any(w.startswith("override up the ladder") for w in rec.warnings)
    assert any(t.startswith("agent-loop (rung 6): 5 calls (+3)") for t in titles)
    agent = next(t for t in titles if t.startswith("agent-loop"))
    assert re.search(r"\$[0-9.]+ a request \(x[0-9.]+\)$", agent)  # dollars, and x the current
    assert all(len(t) <= 76 for t in titles)  # a menu line fits 80 columns
    shown = console.export_text()
    assert any(t.startswith("routing (recommended)") for t in titles)
    assert "your pick; your answers lead to routing" in shown
    assert re.search(r"\$[0-9.]+ a\s+request", shown)
    # The pick is saved with the answers, so `--answers` reproduces it.
    assert rec.answers.override == "agent-loop"
    assert diagnose(rec.answers) == rec


def test_no_terminal_and_no_file_is_a_user_error() -> None:
    with pytest.raises(Exception, match="--answers FILE") as err:
        obtain(None, stdin_is_tty=False)
    assert getattr(err.value, "exit_code", None) == 2


# --- the questionary adapter, through prompt_toolkit pipe input ----------------------------

ENTER, DOWN, CLEAR, CTRL_C = "\r", "\x1b[B", "\x15", "\x03"


@pytest.fixture
def pipe() -> Iterator[Any]:
    with create_pipe_input() as inp:
        yield inp


def piped(pipe: Any, keys: dict[str, list[str]]) -> Any:
    """An asker that types the given keystrokes (ENTER alone by default) into each prompt."""
    real = questionary_asker(input=pipe, output=DummyOutput())

    def ask(q: Question) -> str | bool:
        for chunk in keys.get(q.key, [ENTER] if q.kind != "confirm" else ["n"]):
            pipe.send_text(chunk)
        return real(q)

    return ask


def test_questionary_adapter_collects_answers(pipe: Any) -> None:
    keys = {
        "flow": [DOWN, ENTER],  # depends-on-input
        "task": ["Migrate logging calls", ENTER],
        "categories": ["python, config", ENTER],
        "refinement": ["y"],
        "criteria": ["tests pass", ENTER],
        # a validation error first, then the corrected answer
        "name": [CLEAR, "9lives", ENTER, CLEAR, "migrator", ENTER],
    }
    answers = run_questions(piped(pipe, keys))
    assert answers.flow == "depends-on-input"
    assert answers.categories == ["python", "config"]
    assert answers.refinement and answers.criteria == ["tests pass"]
    assert answers.name == "migrator" and answers.task == "Migrate logging calls"


def test_ctrl_c_in_a_prompt_is_interrupted(pipe: Any) -> None:
    keys = {"task": [CTRL_C]}
    with pytest.raises(Interrupted) as err:
        run_questions(piped(pipe, keys))
    assert err.value.exit_code == 130


def test_the_target_folder_name_is_the_default_project_name() -> None:
    from advisor.interview import questions_named

    named = {q.key: q for q in questions_named("review-bot")}
    assert named["name"].resolve("") == "review-bot"
    # a folder name that is no valid project name keeps the usual default
    assert {q.key: q for q in questions_named("2025 bots!")}["name"].resolve("") == "my-workflow"
