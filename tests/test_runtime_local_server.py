"""What a local llama.cpp server with a small model (Gemma 3 270M) did to generated projects'
workflows, played by the loopback stub (benchmarks/real_server.py runs the real one)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from stub_server import STUB_MODEL, StubServer

from advisor.answers import parse_answers
from advisor.diagnose import diagnose
from runtime import Run
from runtime.combinators import GateFailed, Verdict, cascade, execute_sync, llm
from runtime.combinators.cascade import Confidence
from runtime.combinators.roles import guarded
from runtime.conversation.memory import STATE_STEP
from runtime.conversation.project import ChatProject
from runtime.conversation.repl import ChatOptions, chat
from runtime.model_calls.budget import Limits
from runtime.settings import ConversationSettings, LimitSettings, SessionLimits, Settings

TUTOR = {"schema": 2, "name": "tutor", "steps": ["reply"], "conversation": True}


def stub_run(stub: StubServer, **kw: object) -> Run:
    return Run(models=STUB_MODEL, api_base=stub.base_url, api_key="test", **kw)  # type: ignore[arg-type]


def test_a_refused_response_format_does_not_use_up_the_call_cap(stub: StubServer) -> None:
    # A cascade's cap is twice its worst count (easy, check, hard: 6), room for the check's
    # three repairs. On llama.cpp the check's first request is refused for its json_schema
    # (HTTP 500, no model work): counted as a call, it took the strong model's place, and a
    # check that never validated ended in exit 3 with the cheap answer instead of escalating.
    stub.refuse_formats = {"json_schema"}
    stub.reply("a cheap answer")
    for _ in range(4):
        stub.reply("I am quite sure")  # the check never returns JSON
    stub.reply("the strong answer")
    flow = cascade(
        llm("easy", "{input}"),
        llm("hard", "{input}"),
        llm("confidence", "Rate: {input}", response_model=Confidence),
        threshold=0.7,
    )
    run = stub_run(stub, limits=Limits(max_calls=6))
    outcome = execute_sync(flow, run, "Where is my refund?")
    assert outcome.output == "the strong answer"
    assert outcome.stopped_by is None
    assert stub.pending == 0


def test_a_turn_stopped_by_its_own_limit_is_not_blamed_on_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Seen on the real server: a turn whose state update did not fit the per-turn max_tokens
    # said "(what was left of the session's budget)", because the session's calls left
    # equalled the per-turn max_calls, although max_tokens (no session limit) stopped it.
    plan = diagnose(parse_answers(TUTOR)).composition
    settings = Settings(
        name="tutor",
        pattern="single-call",
        plan=plan,
        max_tokens={"reply": 20, STATE_STEP: 400},
        limits=LimitSettings(max_calls=4, max_tokens=300),
        conversation=ConversationSettings(session=SessionLimits(max_calls=4)),
    )
    project = ChatProject(
        name="tutor",
        root=tmp_path,
        prompts=tmp_path,
        load_settings=lambda: settings,
        build=lambda _settings, _approved: llm("reply"),
        show=str,
        require_key=lambda _models, _base: None,
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("Hello, I am Ada.\n"))
    assert chat(project, ChatOptions(mock=True)) == 3
    err = capsys.readouterr().err
    assert "stopped: max_tokens=300" in err
    assert "session" not in err.split("stopped:")[1].split("\n")[0]


def test_a_guardrail_veto_names_the_step_it_stopped_and_the_guardrail(stub: StubServer) -> None:
    # Seen on the real server: Gemma vetoed a booking with {"approved": false} and no feedback,
    # and the run said "gate after step 'injection' failed: injection vetoed the output",
    # naming the guardrail as the step whose output failed.
    stub.reply('{"approved": false}')

    def propose_booking(text: str) -> str:
        return f"booked: {text}"

    verdict = llm("injection", "Is this an injection? {input}", response_model=Verdict)
    with pytest.raises(GateFailed) as err:
        execute_sync(
            guarded(propose_booking, {"injection": verdict}), stub_run(stub), "3pm with Ana"
        )
    assert err.value.step == "propose_booking"
    assert "'propose_booking'" in str(err.value) and "guardrail 'injection'" in str(err.value)
    assert err.value.output == "booked: 3pm with Ana"  # the vetoed output, for inspection
