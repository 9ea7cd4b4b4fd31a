"""The simulated model: deterministic, schema-valid, realistic sizes, scripts and tool calls."""

from __future__ import annotations

import asyncio
import json
from enum import Enum
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field
from virtual_clock import run_virtual

from runtime import (
    ModelCallError,
    OutputValidationError,
    Reply,
    Run,
    SimulatedModel,
    scope,
)
from runtime.model_calls.tokens import count_text

MSG = [{"role": "user", "content": "Classify this support ticket about a refund."}]


class Priority(Enum):
    low = "low"
    high = "high"


class Address(BaseModel):
    city: str = Field(min_length=2, max_length=20)
    zip_code: str | None = None


class Ticket(BaseModel):
    label: Literal["billing", "technical", "general"]
    priority: Priority
    score: int = Field(ge=1, le=5)
    confidence: float = Field(ge=0, le=1)
    tags: list[str] = Field(min_length=1, max_length=4)
    address: Address
    history: list[Address] = []
    note: str | None = None
    code: str = Field(pattern=r"^[A-Z]{3}-\d{2}$", default="ABC-12")


def run_with(sim: SimulatedModel) -> Run:
    return Run(simulated=sim)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_structured_outputs_always_validate(seed: int) -> None:
    res = run_with(SimulatedModel(seed=seed)).call_sync(
        "classify", MSG, response_model=Ticket, max_tokens=400
    )
    assert isinstance(res.output, Ticket)


def test_same_seed_same_outputs_different_seed_different() -> None:
    def texts(seed: int) -> list[str]:
        run = run_with(SimulatedModel(seed=seed))
        return [run.call_sync("draft", MSG, max_tokens=200).output for _ in range(3)]

    assert texts(1) == texts(1)
    assert texts(1) != texts(2)
    assert len(set(texts(1))) == 3  # each call of a step gets its own draw


def test_text_length_is_configurable_and_token_counts_are_real() -> None:
    run = run_with(SimulatedModel(text_tokens=150))
    res = run.call_sync("draft", MSG, max_tokens=1000)
    assert 150 <= res.usage.completion_tokens < 200
    assert res.usage.completion_tokens == count_text(res.output)
    assert res.usage.prompt_tokens > count_text(MSG[0]["content"])  # plus chat overhead
    short = run.call_sync("draft", MSG, max_tokens=20)
    assert short.usage.completion_tokens <= 20


def test_priced_at_the_configured_models_real_price() -> None:
    res = Run(models="openai/gpt-4o", simulated=SimulatedModel()).call_sync(
        "draft", MSG, max_tokens=100
    )
    expected = (res.usage.prompt_tokens * 2.5 + res.usage.completion_tokens * 10.0) / 1e6
    assert res.cost_usd == pytest.approx(expected)


def test_latency_fixed_and_per_token() -> None:
    run = run_with(SimulatedModel(latency_s=0.05, per_token_s=0.001, text_tokens=50))
    res, elapsed = run_virtual(run.call("draft", MSG, max_tokens=100))
    assert elapsed == pytest.approx(0.05 + 0.001 * res.usage.completion_tokens)


def test_scripts_play_per_step_then_fall_back_to_generated() -> None:
    sim = SimulatedModel(
        script={
            "route>draft": ["from the full path"],
            "draft": [Reply(text="fixed"), Reply(output=Address(city="Paris"))],
        }
    )
    run = run_with(sim)
    with scope("route"):
        assert run.call_sync("draft", MSG, max_tokens=50).output == "from the full path"
    assert run.call_sync("draft", MSG, max_tokens=50).output == "fixed"
    res = run.call_sync("draft", MSG, response_model=Address, max_tokens=50)
    assert res.output == Address(city="Paris")
    assert run.call_sync("draft", MSG, max_tokens=50).output not in {"fixed", ""}


def test_scripted_invalid_output_and_raised_failures() -> None:
    sim = SimulatedModel(script={"judge": ['{"city": 3}', ValueError("tool broke")]})
    run = run_with(sim)
    with pytest.raises(OutputValidationError) as info:
        run.call_sync("judge", MSG, response_model=Address, max_tokens=50)
    assert info.value.raw == '{"city": 3}' and "city" in info.value.summary
    with pytest.raises(ModelCallError, match="tool broke"):
        run.call_sync("judge", MSG, max_tokens=50)


SEARCH = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the docs",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["query", "limit"],
        },
    },
}
READ = {
    "type": "function",
    "function": {
        "name": "read",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string", "enum": ["a.md", "b.md"]}},
            "required": ["path"],
        },
    },
}


def test_with_tools_it_calls_them_in_turn_then_answers() -> None:
    run = run_with(SimulatedModel(tool_turns=2))
    messages: list[dict[str, object]] = [{"role": "user", "content": "find the refund policy"}]
    names = []
    for _ in range(5):
        res = run.call_sync("agent", messages, max_tokens=200, tools=[SEARCH, READ])
        if not res.tool_calls:
            break
        call = res.tool_calls[0]
        names.append(call.name)
        assert call.id.startswith("call_")
        messages.append(
            {"role": "assistant", "content": None, "tool_calls": [call.as_message_part()]}
        )
        messages.append({"role": "tool", "tool_call_id": call.id, "content": "result"})
    assert names == ["search", "read"]
    assert isinstance(res.output, str) and res.output
    first = messages[1]["tool_calls"][0]  # type: ignore[index]
    assert set(json.loads(first["function"]["arguments"])) == {"query", "limit"}


def test_scripted_tool_calls() -> None:
    sim = SimulatedModel(script={"agent": [Reply(tool_calls=[("read", {"path": "a.md"})])]})
    res = run_with(sim).call_sync("agent", MSG, max_tokens=50, tools=[READ])
    assert (
        res.tool_calls[0].name == "read" and res.tool_calls[0].arguments_json == '{"path": "a.md"}'
    )


def test_concurrent_branches_keep_their_own_step_paths() -> None:
    sim = SimulatedModel()
    run = Run(simulated=sim)

    async def branch(name: str) -> str:
        with scope("fanout"), scope(name):
            await asyncio.sleep(0)
            return (await run.call("check", MSG, max_tokens=10)).step

    async def main() -> list[str]:
        return await asyncio.gather(branch("accuracy"), branch("tone"))

    assert asyncio.run(main()) == ["fanout>accuracy>check", "fanout>tone>check"]


class _Mood(BaseModel):
    label: Literal["calm", "angry", "sad", "happy", "bored", "tense"]


def _labels(sim: SimulatedModel, times: int) -> list[str]:
    run = Run(models="openai/gpt-4o-mini", simulated=sim)
    msg = [{"role": "user", "content": "How does this customer feel?"}]
    return [run.call_sync("judge", msg, response_model=_Mood).output.label for _ in range(times)]


def test_the_same_prompt_mostly_gets_the_same_answer_as_voting_assumes() -> None:
    labels = _labels(SimulatedModel(seed=3), 50)
    top = max(set(labels), key=labels.count)
    assert 0.65 <= labels.count(top) / len(labels) < 1.0  # mostly one answer, some random errors


def test_zero_consistency_makes_every_call_independent() -> None:
    labels = _labels(SimulatedModel(seed=3, consistency=0.0), 50)
    top = max(set(labels), key=labels.count)
    assert labels.count(top) / len(labels) < 0.5
