"""orchestrate: typed subtasks, at most max_workers run, declared policies for bad plans."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from runtime.combinators import PlanRejected, Work, execute_sync, llm, orchestrate
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel


class Research(BaseModel):
    """Look something up."""

    kind: Literal["research"] = "research"
    """Subtask type."""
    topic: str
    """What to research."""


class Write(BaseModel):
    """Write a section."""

    kind: Literal["write"] = "write"
    """Subtask type."""
    section: str
    """Which section."""


class Plan(BaseModel):
    """The planner's output."""

    subtasks: list[Research | Write]
    """Subtasks in order."""


def workers(ran: list[str]) -> dict[Any, Any]:
    def research(task: Research) -> str:
        ran.append(task.topic)
        return f"notes on {task.topic}"

    def write(task: Write) -> str:
        ran.append(task.section)
        return f"text of {task.section}"

    return {Research: research, Write: write}


def synthesize(work: Work) -> str:
    return " | ".join(d.output for d in work.done)


def test_no_more_than_max_workers_subtasks_run() -> None:
    ran: list[str] = []
    plan = Plan(subtasks=[Research(topic=f"t{i}") for i in range(10)])
    flow = orchestrate(lambda _: plan, workers(ran), synthesize=synthesize, max_workers=3)
    outcome = execute_sync(flow, Run(simulated=SimulatedModel()), "write a report")
    assert sorted(ran) == ["t0", "t1", "t2"]
    assert outcome.output == "notes on t0 | notes on t1 | notes on t2"
    assert [n.kind for n in outcome.notes] == ["cap"]  # a cap, not a complete run: exit 3
    assert outcome.exit_code == 3 and outcome.stopped_by == "max_workers=3 (would reach 10)"


def test_a_malformed_model_plan_goes_to_the_declared_on_empty_step() -> None:
    sim = SimulatedModel(script={"plan": ['{"subtasks": "oops"}'] * 4})
    run = Run(simulated=sim)
    flow = orchestrate(
        llm("plan", response_model=Plan),
        workers([]),
        synthesize=synthesize,
        max_workers=4,
        on_empty=lambda text: f"single answer for {text}",
    )
    outcome = execute_sync(flow, run, "task")
    assert outcome.output == "single answer for task"
    assert "never validated" in outcome.notes[0].message
    assert outcome.summary.calls == 4  # the plan and its three repairs, no workers


def test_an_empty_plan_fails_by_default_with_a_clear_reason() -> None:
    flow = orchestrate(lambda _: Plan(subtasks=[]), workers([]), max_workers=2)
    with pytest.raises(PlanRejected, match="no runnable subtask"):
        asyncio.run(flow(None, "task"))


def test_unknown_subtask_types_are_skipped_or_sent_to_a_fallback_worker() -> None:
    plan = [{"kind": "research", "topic": "x"}, {"kind": "dance", "topic": "y"}]
    by_kind = {"research": lambda t: "R:" + t["topic"], "general": lambda t: "G:" + t["topic"]}
    skipped = asyncio.run(orchestrate(lambda _: plan, by_kind, max_workers=5)(None, ""))
    assert [d.output for d in skipped.done] == ["R:x"]
    assert "unknown type 'dance'" in skipped.dropped[0]
    rerouted = orchestrate(lambda _: plan, by_kind, max_workers=5, on_unknown="general")
    assert [d.output for d in asyncio.run(rerouted(None, "")).done] == ["R:x", "G:y"]
    strict = orchestrate(lambda _: plan, by_kind, max_workers=5, on_unknown="fail")
    with pytest.raises(PlanRejected, match="unknown type 'dance'"):
        asyncio.run(strict(None, ""))


def test_model_planner_workers_and_synthesis_on_the_simulated_model() -> None:
    plan = Plan(subtasks=[Research(topic="prices"), Write(section="intro"), Research(topic="x")])
    sim = SimulatedModel(script={"plan": [Reply(output=plan)]})
    run = Run(simulated=sim)
    flow = orchestrate(
        llm("plan", response_model=Plan),
        {Research: llm("research"), Write: llm("write")},
        synthesize=llm("synthesize"),
        max_workers=2,
    )
    out = asyncio.run(flow(run, "market report"))
    assert isinstance(out, str) and out
    assert run.summary().calls == 1 + 2 + 1  # plan, two workers (capped), synthesis
