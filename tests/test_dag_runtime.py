"""Planned subtasks with dependencies: the plan must be a DAG (a bad one is repaired with the
problem named), it runs in waves (each wave at once), each worker sees the results it needs,
and a budget stop mid-plan keeps what was paid for."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from runtime import Limits, Run, SimulatedModel
from runtime.combinators.errors import PlanRejected
from runtime.combinators.execute import execute_sync
from runtime.combinators.orchestrate import Work, orchestrate
from runtime.combinators.step import llm
from runtime.combinators.waves import Briefing
from runtime.dag import DagPlan, dag_problem, find_cycle, levels
from runtime.model_calls.completion import CallRequest, RawCompletion, Usage

Send = Callable[[CallRequest], Coroutine[Any, Any, RawCompletion]]


class Sub(BaseModel):
    id: str
    kind: Literal["research", "write"]
    task: str
    depends_on: list[str] = Field(default_factory=list)


class Plan(DagPlan):
    subtasks: list[Sub] = Field(min_length=1)


def sub(sid: str, *deps: str, kind: str = "research") -> dict[str, Any]:
    return {"id": sid, "kind": kind, "task": f"do {sid}", "depends_on": list(deps)}


# s1, s2 -> s3 (needs both) -> s4, s5 (need s3): three waves.
GOOD = {"subtasks": [sub("s1"), sub("s2"), sub("s3", "s1", "s2"), sub("s4", "s3"), sub("s5", "s3")]}


class RecordingRun(Run):
    """Replies after a few event-loop turns (no real time), recording every request and how many
    calls were in flight together; the planner's replies are played from `plans`."""

    def __init__(self, plans: list[dict[str, Any]], **kw: Any) -> None:
        super().__init__(models="openai/gpt-4o-mini", simulated=SimulatedModel(), **kw)
        self.plans = list(plans)
        self.requests: list[CallRequest] = []
        self.in_flight: dict[str, int] = {}
        self.most: dict[str, int] = {}

    def _backend(self, req: CallRequest) -> Send:
        async def send(req: CallRequest) -> RawCompletion:
            self.requests.append(req)
            wave = _wave(req.step)
            self.in_flight[wave] = self.in_flight.get(wave, 0) + 1
            self.most[wave] = max(self.most.get(wave, 0), self.in_flight[wave])
            for _ in range(20):
                await asyncio.sleep(0)  # a turn of the event loop, not time
            self.in_flight[wave] -= 1
            step = req.step.rsplit(">", 1)[-1]
            if step == "plan":
                text = json.dumps(self.plans.pop(0))
            else:
                text = f"result of {req.step.split('>')[-2] if '>' in req.step else step}"
            return RawCompletion(text, Usage(30, 5))

        return send

    def prompts(self, step: str) -> list[str]:
        return [
            "\n".join(str(m["content"]) for m in r.messages)
            for r in self.requests
            if r.step.rsplit(">", 1)[-1] == step
        ]


def _wave(path: str) -> str:
    return next((seg for seg in path.split(">") if seg.startswith("wave")), "-")


def flow(**kw: Any) -> Any:
    return orchestrate(
        llm("plan", "{input}", response_model=Plan),
        {"research": llm("research"), "write": llm("write")},
        synthesize=lambda work: work,
        max_workers=kw.pop("max_workers", 8),
        dependencies=True,
        **kw,
    )


def test_dag_problems_are_named() -> None:
    assert dag_problem(GOOD["subtasks"]) is None
    assert "'s1' depends on itself" in str(dag_problem([sub("s1", "s1")]))
    unknown = dag_problem([sub("s1"), sub("s2", "s9")])
    assert unknown and "'s2' depends on 's9', which is not a subtask" in unknown
    cycle = dag_problem([sub("a", "c"), sub("b", "a"), sub("c", "b")])
    assert cycle and "cycle" in cycle and "'a'" in cycle and "'c'" in cycle
    assert "two subtasks have the id 'x'" in str(dag_problem([sub("x"), sub("x")]))
    assert find_cycle({"a": ["b"], "b": []}) is None


def test_waves_are_the_topological_levels_in_plan_order() -> None:
    assert levels(GOOD["subtasks"]) == [[0, 1], [2], [3, 4]]
    # listed out of order: a dependency listed later still runs first
    assert levels([sub("late", "early"), sub("early")]) == [[1], [0]]
    with pytest.raises(ValueError, match="cycle"):
        levels([sub("a", "b"), sub("b", "a")])


def test_each_wave_runs_at_once_after_its_dependencies_with_their_results() -> None:
    run = RecordingRun([GOOD])
    outcome = execute_sync(flow(), run, "a report")
    work = outcome.output
    assert isinstance(work, Work)
    assert work.waves == [
        ["research#1", "research#2"],
        ["research#3"],
        ["research#4", "research#5"],
    ]
    assert run.most == {"-": 1, "wave1": 2, "wave2": 1, "wave3": 2}  # each wave at once
    order = [_wave(r.step) for r in run.requests]
    assert order == ["-", "wave1", "wave1", "wave2", "wave3", "wave3"]
    s3, s4, s5 = run.prompts("research")[2:]
    assert "## s1: do s1\nresult of research#1" in s3 and "## s2: do s2\nresult of research#2" in s3
    assert "## s3: do s3\nresult of research#3" in s4 and "## s3" in s5 and "## s1" not in s4
    assert "depends on" not in run.prompts("research")[0]  # a first-wave worker needs nothing
    assert [d.output for d in work.done][2] == "result of research#3"


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ([sub("s1"), sub("s2", "s7")], "'s2' depends on 's7', which is not a subtask"),
        ([sub("s1", "s1")], "'s1' depends on itself"),
        ([sub("s1", "s2"), sub("s2", "s1")], "cycle ('s1' -> 's2' -> 's1')"),
    ],
    ids=["unknown-id", "self", "cycle"],
)
def test_a_plan_that_is_not_a_dag_goes_back_to_the_planner_with_the_problem_named(
    bad: list[dict[str, Any]], named: str
) -> None:
    run = RecordingRun([{"subtasks": bad}, GOOD])
    work = execute_sync(flow(), run, "a report").output
    assert isinstance(work, Work) and len(work.done) == 5
    first, repair = run.prompts("plan")
    assert named not in first and named in repair


def test_a_plan_still_not_a_dag_after_the_repairs_fails_clearly() -> None:
    cyclic = {"subtasks": [sub("s1", "s2"), sub("s2", "s1")]}
    run = RecordingRun([cyclic] * 4)
    with pytest.raises(PlanRejected, match=r"never validated .*cycle"):
        asyncio.run(flow()(run, "a report"))
    assert len(run.prompts("plan")) == 4  # the plan and three repairs (caps.MAX_REPAIRS)
    assert run.prompts("research") == []


def test_a_code_planner_that_is_not_a_dag_is_refused_with_the_problem() -> None:
    plan = [sub("s1", "s2"), sub("s2", "s1")]
    bad = orchestrate(lambda _: plan, {"research": str}, max_workers=3, dependencies=True)
    with pytest.raises(PlanRejected, match="not a DAG: the dependencies go round"):
        asyncio.run(bad(None, "x"))


def test_code_workers_get_a_briefing_and_max_workers_keeps_dependencies_first() -> None:
    plan = [sub("s3", "s1", "s2"), sub("s1"), sub("s2"), sub("s4", "s3")]
    seen: list[Briefing] = []

    def worker(brief: Briefing) -> str:
        seen.append(brief)
        return f"{brief.subtask['id']}({','.join(brief.results.values())})"

    flow3 = orchestrate(lambda _: plan, {"research": worker}, max_workers=3, dependencies=True)
    work = asyncio.run(flow3(None, "x"))
    assert [d.output for d in work.done] == ["s1()", "s2()", "s3(s1(),s2())"]
    assert work.dropped == ["research#4: over max_workers=3"]


def test_a_failed_dependency_leaves_its_dependents_unrun_under_partial() -> None:
    plan = [sub("s1"), sub("s2"), sub("s3", "s1"), sub("s4", "s2"), sub("s5", "s3")]

    def worker(brief: Briefing) -> str:
        if brief.subtask["id"] == "s1":
            raise RuntimeError("source offline")
        return "ok"

    partial = orchestrate(
        lambda _: plan, {"research": worker}, max_workers=5, dependencies=True, on_failure="partial"
    )
    work = asyncio.run(partial(None, "x"))
    assert [d.subtask["id"] for d in work.done] == ["s2", "s4"]
    assert "source offline" in work.missing["research#1"]
    assert work.missing["research#3"].startswith("not run: needs 's1', which has no result")
    assert work.missing["research#5"].endswith(
        "needs 's3', which has no result (it was not run either)"
    )
    assert work.waves == [["research#1", "research#2"], ["research#4"]]  # nothing left for wave 3


def test_a_budget_stop_mid_plan_keeps_the_finished_waves() -> None:
    # max_calls=3: the plan and the two first-wave workers; wave 2 is refused at its first call.
    run = RecordingRun([GOOD], limits=Limits(max_calls=3))
    outcome = execute_sync(flow(), run, "a report")
    assert outcome.exit_code == 3 and outcome.stopped_by and "max_calls=3" in outcome.stopped_by
    work = outcome.output
    assert isinstance(work, Work)
    assert [d.output for d in work.done] == ["result of research#1", "result of research#2"]
    assert "stopped: max_calls=3" in work.missing["research#3"]
    assert work.missing["research#4"].startswith("not started: max_calls=3")
    assert len(run.requests) == 3  # nothing after the stop was sent
