"""What a generated project prints when a run does not simply succeed (a new user's trial):
a failing check keeps the draft it judged (exit 1, `--json` still gives the object), a run that
stopped before any result says so with output null for every pattern, `finished` is false
whenever a budget or cap stopped or shaped the run, `--trace` into a missing folder is refused,
and a chat with no turn stores no session."""

from __future__ import annotations

import importlib
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from helpers_render import example_spec, make_project
from pydantic import BaseModel

from advisor.answers import parse_answers
from advisor.diagnose import diagnose
from runtime.combinators import (
    Verdict,
    agent_loop,
    chain,
    execute_sync,
    llm,
    orchestrate,
    refine,
    vote,
)
from runtime.combinators.each import each, split_text
from runtime.conversation.project import ChatProject
from runtime.conversation.repl import ChatOptions, chat
from runtime.conversation.store import SessionStore
from runtime.model_calls.budget import Limits
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel
from runtime.settings import ConversationSettings, Settings
from runtime.volume.store import sqlite_url

EXAMPLES = Path(__file__).parent.parent / "examples"
Main = Callable[[list[str]], int]


def _import(path: Path, package: str) -> ModuleType:
    sys.path.insert(0, str(path))
    return importlib.import_module(f"{package}.__main__")


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """examples/draft-check-translate.yaml: draft_article -> check_style (stop) -> translate."""
    spec = example_spec(EXAMPLES / "draft-check-translate.yaml")
    path, package = make_project(spec, tmp_path_factory.mktemp("blog"), "blog")
    yield _import(path, package)
    sys.path.remove(str(path))


@pytest.fixture(scope="module")
def research(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """examples/agent-loop.yaml: one agent with web_search, fetch_page and take_note."""
    spec = example_spec(EXAMPLES / "agent-loop.yaml")
    path, package = make_project(spec, tmp_path_factory.mktemp("agent"), "research")
    yield _import(path, package)
    sys.path.remove(str(path))


def scripted(
    cli: ModuleType, monkeypatch: pytest.MonkeyPatch, script: dict[str, list[dict[str, Any]]]
) -> None:
    """Make `run --mock` use these scripted replies (Reply's fields; the project's own Reply)
    besides its passing checks."""
    own = importlib.import_module(f"{cli.__package__}._runtime").Reply
    script = {step: [own(**reply) for reply in replies] for step, replies in script.items()}
    passing = cli.passing_checks
    monkeypatch.setattr(cli, "passing_checks", lambda settings: {**passing(settings), **script})


# 1. A check that fails keeps the draft it judged, with --json too.


def test_a_failing_check_prints_the_draft_and_the_failure_as_json(
    blog: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rude = {"output": {"approved": False, "feedback": "too rude"}}
    scripted(blog, monkeypatch, {"check_style": [rude]})
    code = blog.main(["run", "--mock", "--json", "hello"])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == ["error: gate after step 'check_style' failed: too rude"]
    doc = json.loads(out)  # the usual object, for this outcome too
    assert str(doc["output"]).startswith("[draft_article]")  # the draft, paid for, not lost
    assert doc["finished"] is False and doc["stopped_by"] is None
    assert doc["error"] == "gate after step 'check_style' failed: too rude"
    assert doc["calls"] == 2  # the draft and the check; translate never ran


def test_a_failing_check_prints_the_draft_as_text_like_a_refused_step(
    blog: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rude = {"output": {"approved": False, "feedback": "too rude"}}
    scripted(blog, monkeypatch, {"check_style": [rude]})
    code = blog.main(["run", "--mock", "hello"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.startswith("[draft_article]")
    assert err.splitlines() == ["error: gate after step 'check_style' failed: too rude"]


def test_a_passing_run_has_a_null_error(
    blog: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert blog.main(["run", "--mock", "--json", "hello"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["finished"] is True and doc["error"] is None
    assert str(doc["output"]).startswith("[translate]")


# 2. A run stopped before any result: output null and "no result", whatever the pattern.


def test_an_agent_stopped_before_an_answer_prints_no_result(
    research: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert research.main(["run", "--mock", "--max-calls", "1", "--json", "a question"]) == 3
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["output"] is None and doc["finished"] is False
    assert "no result: it stopped before one" in err
    assert research.main(["run", "--mock", "--max-calls", "1", "a question"]) == 3
    out, err = capsys.readouterr()
    assert out == ""  # not an empty line passed off as the best result
    assert "no result: it stopped before one" in err and "printed the best" not in err


def search(query: str) -> str:
    """Search the web."""
    return f"results for {query}"


def test_an_agent_stopped_after_a_silent_tool_call_is_empty() -> None:
    script = {"agent": [Reply(tool_calls=[("search", {"query": "q"})])] * 5}
    flow = agent_loop("agent", [search], max_steps=5)
    run = Run(simulated=SimulatedModel(script=script), limits=Limits(max_calls=1))
    outcome = execute_sync(flow, run, "find it")
    assert outcome.empty and outcome.stopped_by and outcome.exit_code == 3


class Write(BaseModel):
    """Write a section."""

    kind: str = "write"
    """Subtask type."""
    section: str
    """Which section."""


class Plan(BaseModel):
    """The planner's output."""

    subtasks: list[Write]
    """Subtasks in order."""


def test_an_orchestrator_stopped_before_any_worker_is_empty() -> None:
    # The planner's call is the only one allowed: no worker runs, so no Work scaffold is given.
    plan = {"subtasks": [{"section": "intro"}, {"section": "body"}]}
    flow = orchestrate(
        llm("planner", response_model=Plan),
        {Write: llm("write_section")},
        synthesize=llm("synthesize"),
        max_workers=5,
    )
    sim = SimulatedModel(script={"planner": [Reply(output=plan)]})
    outcome = execute_sync(flow, Run(simulated=sim, limits=Limits(max_calls=1)), "a report")
    assert outcome.stopped_by and "max_calls" in outcome.stopped_by
    assert outcome.empty and outcome.exit_code == 3


def test_a_map_and_a_vote_stopped_before_any_item_are_empty() -> None:
    # A token budget too small for any call: no item and no vote runs.
    items = each("each part", llm("summarize"), split_text, max_items=8, concurrency=4)
    votes = vote(llm("judge"), n=3, threshold=0.5)
    for flow in (items, votes):
        run = Run(simulated=SimulatedModel(), limits=Limits(max_tokens=1))
        outcome = execute_sync(flow, run, "one\n\ntwo\n\nthree")
        assert outcome.stopped_by and outcome.empty, flow


def test_a_chain_whose_map_stopped_before_any_item_keeps_the_step_before_it() -> None:
    # The outline is paid for; the map after it stopped before any item (one call allowed).
    items = each("each part", llm("summarize"), split_text, max_items=8, concurrency=4)
    flow = chain(llm("outline"), items)
    outcome = execute_sync(flow, Run(simulated=SimulatedModel(), limits=Limits(max_calls=1)), "x")
    assert outcome.stopped_by and outcome.exit_code == 3
    assert str(outcome.output).startswith("[outline]") and not outcome.empty


def test_a_stop_after_real_work_keeps_it() -> None:
    flow = chain(llm("draft"), llm("polish"))
    outcome = execute_sync(flow, Run(simulated=SimulatedModel(), limits=Limits(max_calls=1)), "x")
    assert str(outcome.output).startswith("[draft]") and outcome.exit_code == 3
    assert not outcome.empty


# 3. `finished` is false whenever a budget or cap stopped or shaped the result.


def test_a_capped_loop_is_not_finished() -> None:
    never = [Reply(output={"approved": False, "feedback": "not yet"})] * 10
    flow = refine(llm("write"), llm("judge", response_model=Verdict), max_rounds=2)
    outcome = execute_sync(flow, Run(simulated=SimulatedModel(script={"judge": never})), "x")
    assert outcome.stopped_by == "max_rounds=2 (would reach 3)" and outcome.output is not None
    assert outcome.finished is False and outcome.exit_code == 3


def test_a_map_over_max_items_is_not_finished() -> None:
    flow = each("each part", llm("summarize"), split_text, max_items=2, concurrency=4)
    outcome = execute_sync(flow, Run(simulated=SimulatedModel()), "one\n\ntwo\n\nthree")
    assert outcome.stopped_by == "max_items=2 (would reach 3)"
    assert outcome.finished is False and outcome.exit_code == 3


def test_an_agent_at_max_steps_prints_finished_false(
    research: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    forever = [{"text": "still looking", "tool_calls": [("web_search", {"query": "q"})]}] * 50
    scripted(research, monkeypatch, {"agent": forever})
    code = research.main(["run", "--mock", "--json", "a question"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 3 and doc["stopped_by"].startswith("max_steps=")
    assert doc["finished"] is False
    assert doc["output"] == "still looking"  # the agent's last words: the best so far


# 4. --trace into a folder that does not exist is refused, as --plot is.


def test_a_trace_in_a_missing_folder_is_refused_and_no_folder_is_made(
    blog: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "made" / "by" / "typo" / "t.jsonl"
    assert blog.main(["run", "--mock", "--trace", str(trace), "hello"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"error: trace {trace}: folder {trace.parent} does not exist; create it first"
    ]
    assert not (tmp_path / "made").exists()
    trace.parent.mkdir(parents=True)
    assert blog.main(["run", "--mock", "--trace", str(trace), "hello"]) == 0
    assert json.loads(trace.read_text(encoding="utf-8").splitlines()[-1])["summary"] is True


# 5. A chat with no turn stores no session.


def _tutor(root: Path) -> ChatProject:
    answers = {"schema": 2, "name": "tutor", "steps": ["reply"], "conversation": True}
    settings = Settings(
        name="tutor",
        pattern="single-call",
        plan=diagnose(parse_answers(answers)).composition,
        conversation=ConversationSettings(),
    )
    return ChatProject(
        name="tutor",
        root=root,
        prompts=root,
        load_settings=lambda: settings,
        build=lambda _settings, _approved: llm("reply"),
        show=str,
        require_key=lambda _models, _base: None,
    )


def test_a_chat_with_empty_input_saves_no_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _tutor(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert chat(project, ChatOptions(mock=True, session="empty")) == 0
    err = capsys.readouterr().err
    assert "no turns: session empty not saved" in err and "saved:" not in err
    store = SessionStore(sqlite_url(project.default_store), "tutor")
    try:
        assert store.load("empty") is None
    finally:
        store.close()
    # One turn stores the session, and the next chat continues it.
    monkeypatch.setattr(sys, "stdin", io.StringIO("Hello\n"))
    assert chat(project, ChatOptions(mock=True, session="empty")) == 0
    assert "session empty saved" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert chat(project, ChatOptions(mock=True, session="empty")) == 0
    err = capsys.readouterr().err
    assert "continuing session empty after 1 turn(s)" in err and "session empty saved" in err
