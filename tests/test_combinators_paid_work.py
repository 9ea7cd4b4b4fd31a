"""A refused call never throws away work already paid for: parallel, vote, orchestrate, refine."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import BaseModel

from runtime import Limits, OutputValidationError, Reply, Run, SimulatedModel

# Imported from their modules: a package attribute named like a submodule is shadowed by it.
from runtime.combinators.execute import execute_sync
from runtime.combinators.orchestrate import Work, orchestrate
from runtime.combinators.parallel import Sections, parallel
from runtime.combinators.refine import refine
from runtime.combinators.route import route
from runtime.combinators.step import llm
from runtime.combinators.vote import vote
from runtime.model_calls.completion import CallRequest, RawCompletion, Usage

Send = Callable[[CallRequest], Coroutine[Any, Any, RawCompletion]]


class InFlightRun(Run):
    """Replies take a few event-loop turns (no real time), so siblings are in flight together."""

    def __init__(self, reply: Callable[[CallRequest], str], **kw: Any) -> None:
        # A simulated model passes the no-real-requests guard; _backend replaces it.
        super().__init__(models="openai/gpt-4o-mini", simulated=SimulatedModel(), **kw)
        self.reply = reply
        self.finished: list[str] = []

    def _backend(self, req: CallRequest) -> Send:
        async def send(req: CallRequest) -> RawCompletion:
            for _ in range(20):
                await asyncio.sleep(0)
            self.finished.append(req.step)
            return RawCompletion(self.reply(req), Usage(30, 5))

        return send


def run_quietly(flow: Any, run: Run, value: Any) -> Any:
    """execute_sync, failing on any warning (a coroutine never awaited, a task destroyed)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        outcome = execute_sync(flow, run, value)
        gc.collect()
    assert [str(w.message) for w in seen] == []
    return outcome


def test_parallel_keeps_the_branches_in_flight_when_a_sibling_is_refused() -> None:
    run = InFlightRun(lambda req: f"done {req.step}", limits=Limits(max_calls=2))
    flow = parallel({k: llm(k, "{input}") for k in ("a", "b", "c")}, on_failure="partial")
    outcome = run_quietly(flow, run, "task")
    assert outcome.exit_code == 3 and "max_calls=2" in (outcome.stopped_by or "")
    best = outcome.output
    assert isinstance(best, Sections)
    assert best.outputs == {"a": "done parallel>a>a", "b": "done parallel>b>b"}
    assert best.missing["c"].startswith("stopped: max_calls=2")
    assert len(run.finished) == 2  # both paid calls finished, and nothing else was sent
    assert any(n.kind == "refused" and "'c'" in n.message for n in outcome.notes)


def test_a_vote_decides_on_the_votes_paid_for() -> None:
    run = InFlightRun(lambda req: "Paris", limits=Limits(max_calls=3))
    outcome = run_quietly(vote(llm("ask", "{input}"), n=4, threshold=0.6), run, "Capital?")
    result = outcome.output
    assert result.answer == "Paris" and (result.votes, result.n) == (3, 3)
    assert outcome.exit_code == 3 and "max_calls=3" in (outcome.stopped_by or "")
    assert any(n.kind == "refused" for n in outcome.notes)


class Sub(BaseModel):
    kind: str
    q: str


class Plan(BaseModel):
    subtasks: list[Sub]


def test_orchestrate_keeps_workers_in_flight_when_one_is_refused() -> None:
    plan = Plan(subtasks=[Sub(kind="look", q=str(i)) for i in range(3)])

    def reply(req: CallRequest) -> str:
        return plan.model_dump_json() if req.step.endswith("plan") else "found"

    run = InFlightRun(reply, limits=Limits(max_calls=3))
    flow = orchestrate(
        llm("plan", "{input}", response_model=Plan),
        {"look": llm("look", "{input}")},
        max_workers=3,
    )
    outcome = run_quietly(flow, run, "research")
    assert outcome.exit_code == 3
    work = outcome.output
    assert isinstance(work, Work) and [d.output for d in work.done] == ["found", "found"]
    assert any("stopped: max_calls=3" in why for why in work.missing.values())


def test_refine_keeps_its_draft_when_the_evaluator_fails() -> None:
    sim = SimulatedModel(
        script={"draft": [Reply(text="a good draft")], "judge": [Reply(text="no JSON")] * 4}
    )

    class Verdict(BaseModel):
        approved: bool
        feedback: str

    flow = refine(
        llm("draft", "{input}"), llm("judge", "{input}", response_model=Verdict), max_rounds=2
    )
    outcome = execute_sync(flow, Run(simulated=sim), "write")
    assert outcome.exit_code == 0
    assert outcome.output.output == "a good draft" and not outcome.output.approved
    assert any(n.kind == "failed" and "evaluator failed" in n.message for n in outcome.notes)
    assert issubclass(OutputValidationError, Exception)


class Label(BaseModel):
    label: str


def test_routings_call_cap_leaves_the_fallback_its_call_after_the_classifiers_repairs() -> None:
    # max_calls=4 (2 designed calls x 2): a classifier that never validates used to spend all
    # four on itself and its repairs, and the fallback was refused: no answer at all.
    sim = SimulatedModel(
        script={"classify": [Reply(text="not JSON")] * 4, "general": [Reply(text="we can help")]}
    )
    flow = route(
        llm("classify", "{input}", response_model=Label),
        {"billing": llm("billing", "{input}"), "general": llm("general", "{input}")},
        fallback="general",
    )
    run = Run(simulated=sim, limits=Limits(max_calls=4))
    outcome = execute_sync(flow, run, "hello")
    assert outcome.output == "we can help"
    assert run.summary().calls == 4 and outcome.exit_code == 3
    assert any(n.kind == "fallback" and "max_calls=4" in n.message for n in outcome.notes)
