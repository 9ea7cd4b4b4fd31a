"""Each combinator once over litellm's real HTTP path, against the loopback stub server."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from pydantic import BaseModel
from stub_server import STUB_MODEL, StubServer

from runtime import (
    Run,
    Sections,
    Verdict,
    agent_loop,
    chain,
    llm,
    orchestrate,
    parallel,
    refine,
    route,
    vote,
)


def stub_run(stub: StubServer) -> Run:
    return Run(models=STUB_MODEL, api_base=stub.base_url, api_key="test")


def go(flow: Any, stub: StubServer, value: Any = "input") -> Any:
    return asyncio.run(flow(stub_run(stub), value))


def user_text(stub: StubServer, i: int) -> str:
    return str(stub.requests[i].body["messages"][-1]["content"])


class Label(BaseModel):
    """Route label."""

    label: Literal["billing", "technical"]
    """Which handler."""


def test_chain_passes_each_reply_on(stub: StubServer) -> None:
    stub.reply("outline A")
    stub.reply("essay from A")
    out = go(chain(llm("outline"), llm("write", "Expand: {input}")), stub, "topic")
    assert out == "essay from A"
    assert user_text(stub, 1) == "Expand: outline A"


def test_route_repairs_then_routes_on_a_validated_label(stub: StubServer) -> None:
    stub.reply('{"label": "sales"}')  # outside the Literal: repaired
    stub.reply('{"label": "technical"}')
    stub.reply("reboot it")
    flow = route(
        llm("classify", response_model=Label),
        {"billing": llm("bill"), "technical": llm("fix")},
        fallback="billing",
    )
    assert go(flow, stub) == "reboot it"
    repair = json.dumps(stub.requests[1].body["messages"])
    assert "did not match the required JSON schema" in repair and "sales" in repair


def test_parallel_sends_every_branch(stub: StubServer) -> None:
    for _ in range(3):
        stub.reply("fine")
    flow = parallel({"tone": llm("tone"), "facts": llm("facts"), "law": llm("law")})
    out: Sections = go(flow, stub)
    assert out.complete and set(out.outputs.values()) == {"fine"}
    assert len(stub.requests) == 3


def test_vote_samples_at_its_temperature(stub: StubServer) -> None:
    for answer in ("spam", "spam", "ham"):
        stub.reply(answer)
    result = go(vote(llm("judge"), n=3, threshold=0.6, temperature=0.8), stub)
    assert result.answer == "spam"
    assert {r.body["temperature"] for r in stub.requests} == {0.8}


class Sub(BaseModel):
    """A subtask."""

    kind: Literal["research"]
    """Type."""
    topic: str
    """Topic."""


class Plan(BaseModel):
    """A plan."""

    subtasks: list[Sub]
    """Subtasks."""


def test_orchestrate_plans_runs_workers_and_synthesizes(stub: StubServer) -> None:
    plan = {"subtasks": [{"kind": "research", "topic": t} for t in ("a", "b", "c")]}
    stub.reply(json.dumps(plan))
    stub.reply("notes")
    stub.reply("notes")
    stub.reply("report")
    flow = orchestrate(
        llm("plan", response_model=Plan),
        {"research": llm("research")},
        synthesize=llm("synthesize"),
        max_workers=2,
    )
    assert go(flow, stub) == "report"
    assert len(stub.requests) == 4  # the third subtask was over max_workers


def test_refine_feeds_model_feedback_into_the_revision(stub: StubServer) -> None:
    stub.reply("draft 1")
    stub.reply('{"approved": false, "feedback": "add a title"}')
    stub.reply("# Title\ndraft 2")
    stub.reply('{"approved": true, "feedback": ""}')
    flow = refine(
        llm("draft"), llm("evaluate", response_model=Verdict), llm("revise"), max_rounds=3
    )
    result = go(flow, stub)
    assert result.approved and result.output == "# Title\ndraft 2"
    assert "add a title" in user_text(stub, 2)


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_agent_loop_calls_tools_by_function_calling(stub: StubServer) -> None:
    stub.tool_calls([("add", {"a": 2, "b": 3})])
    stub.reply("5")
    result = go(agent_loop("agent", [add], max_steps=3), stub, "2+3?")
    assert result.output == "5"
    first, second = (r.body for r in stub.requests)
    assert first["tools"][0]["function"]["name"] == "add"
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_0", "content": "5"}


def test_orchestrate_runs_the_on_empty_step_for_an_empty_plan(stub: StubServer) -> None:
    stub.reply('{"subtasks": []}')
    stub.reply("direct answer")
    flow = orchestrate(
        llm("plan", response_model=Plan),
        {"research": llm("research")},
        max_workers=2,
        on_empty=llm("answer"),
    )
    assert go(flow, stub) == "direct answer"
    assert user_text(stub, 1) == "input"
