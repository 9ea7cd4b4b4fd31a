"""agent_loop: model-chosen tool calls, errors fed back, never past max_steps."""

from __future__ import annotations

import asyncio
import json

from runtime.combinators import agent_loop, execute_sync, tool
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def lookup(term: str, limit: int = 3) -> list[str]:
    """Search the knowledge base."""
    return [f"{term} #{i}" for i in range(limit)]


def test_tool_schemas_come_from_type_hints() -> None:
    schema = tool(lookup).schema()["function"]
    assert schema["name"] == "lookup"
    assert schema["description"] == "Search the knowledge base."
    params = schema["parameters"]
    assert params["required"] == ["term"]
    assert params["properties"]["limit"]["type"] == "integer"


def test_the_loop_stops_at_max_steps_with_a_reason() -> None:
    sim = SimulatedModel(tool_turns=100)  # a model that never stops calling tools
    run = Run(simulated=sim)
    outcome = execute_sync(agent_loop("agent", [add, lookup], max_steps=4), run, "go")
    result = outcome.output
    assert run.summary().calls == 4
    assert (result.steps, result.tool_calls) == (4, 4)
    assert result.stopped_by == "max_steps=4 (would reach 5)"
    assert outcome.stopped_by == result.stopped_by and outcome.exit_code == 3


def test_an_unknown_tool_and_bad_arguments_go_back_to_the_model_which_recovers() -> None:
    script = [
        Reply(tool_calls=[("subtract", {"a": 1})]),
        Reply(tool_calls=[("add", {"a": "one", "b": 2})]),
        Reply(tool_calls=[("add", {"a": 1, "b": 2})]),
        "The answer is 3.",
    ]
    run = Run(simulated=SimulatedModel(script={"agent": script}))
    result = asyncio.run(agent_loop("agent", [add], max_steps=6)(run, "1+2?"))
    assert result.output == "The answer is 3." and result.stopped_by is None
    replies = [m["content"] for m in result.messages if m["role"] == "tool"]
    assert replies[0].startswith("error: unknown tool 'subtract'; available tools: add")
    assert "invalid arguments for tool 'add'" in replies[1] and "a:" in replies[1]
    assert replies[2] == "3"
    assert result.steps == 4


def test_a_tool_that_raises_is_reported_to_the_model_not_the_caller() -> None:
    def flaky(path: str) -> str:
        """Read a file."""
        raise FileNotFoundError(path)

    script = [Reply(tool_calls=[("flaky", {"path": "/nope"})]), "sorry, no such file"]
    run = Run(simulated=SimulatedModel(script={"agent": script}))
    result = asyncio.run(agent_loop("agent", [flaky], max_steps=3)(run, "read /nope"))
    assert result.output == "sorry, no such file"
    tool_reply = next(m for m in result.messages if m["role"] == "tool")
    assert "FileNotFoundError" in tool_reply["content"]
    assert json.dumps(result.messages)  # the transcript stays JSON-serialisable
