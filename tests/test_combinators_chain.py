"""chain: steps in order, gates that stop it naming the step, trace paths."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from runtime.combinators import (
    GateFailed,
    chain,
    conforms,
    llm,
    matches,
    max_length,
    required_fields,
    route,
)
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import SimulatedModel


def upper(text: str) -> str:
    return text.upper()


def exclaim(text: str) -> str:
    return text + "!"


async def shout_twice(run: Any, text: str) -> str:
    return text + text


def test_steps_run_in_order_on_the_previous_output() -> None:
    flow = chain(upper, exclaim, shout_twice)
    assert asyncio.run(flow(None, "hi")) == "HI!HI!"


def test_a_failing_gate_stops_the_chain_naming_the_step_and_carrying_its_output() -> None:
    ran: list[str] = []

    def record(text: str) -> str:
        ran.append(text)
        return text

    flow = chain(upper, exclaim, record, gates={"exclaim": max_length(3)})
    with pytest.raises(GateFailed) as info:
        asyncio.run(flow(None, "hello"))
    assert info.value.step == "exclaim"
    assert info.value.output == "HELLO!"
    assert "max_length=3" in str(info.value)
    assert ran == []  # nothing after the gate ran


class Ticket(BaseModel):
    """A parsed ticket."""

    title: str
    """Short title."""
    priority: int
    """1 (high) to 3 (low)."""


@pytest.mark.parametrize(
    ("gate", "output", "ok"),
    [
        (required_fields("title", "priority"), {"title": "x", "priority": 1}, True),
        (required_fields("title", "priority"), {"title": "x"}, False),
        (required_fields("title"), '{"title": ""}', False),
        (matches(r"^\d{3}-\d{4}$"), "555-1234", True),
        (matches(r"^\d{3}-\d{4}$"), "call me", False),
        (conforms(Ticket), '{"title": "x", "priority": 2}', True),
        (conforms(Ticket), {"title": "x", "priority": "high"}, False),
    ],
)
def test_gates_pass_and_fail_on_plain_code_checks(gate: Any, output: Any, ok: bool) -> None:
    flow = chain(lambda _: output, gates={"<lambda>": gate})
    if ok:
        assert asyncio.run(flow(None, "")) == output
    else:
        with pytest.raises(GateFailed):
            asyncio.run(flow(None, ""))


def test_a_gate_naming_no_step_is_refused_when_the_chain_is_built() -> None:
    with pytest.raises(ValueError, match="gates name no step"):
        chain(upper, gates={"uppr": max_length(3)})


def test_nested_model_steps_are_traced_by_their_path(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    run = Run(simulated=SimulatedModel(), trace=trace)
    flow = route(
        lambda text: "technical" if "error" in text else "billing",
        {"technical": chain(llm("diagnose"), llm("answer")), "billing": llm("refund")},
        fallback="billing",
    )
    asyncio.run(flow(run, "error 42 on login"))
    run.close()
    steps = [json.loads(line).get("step") for line in trace.read_text().splitlines()]
    assert steps[:2] == ["route>technical>chain>diagnose", "route>technical>chain>answer"]
