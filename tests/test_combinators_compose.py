"""Composition: combinators nest, repairs are bounded, a deep stop yields the best so far."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

from runtime.combinators import (
    Draft,
    Sections,
    Verdict,
    chain,
    execute_sync,
    llm,
    parallel,
    refine,
    route,
)
from runtime.errors import OutputValidationError
from runtime.model_calls.budget import Limits
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel


class Answer(BaseModel):
    """A structured answer."""

    text: str
    """The answer."""
    confidence: float
    """0 to 1."""


def test_structured_output_is_repaired_from_its_validation_errors() -> None:
    bad = ['{"text": "hi"}', "not json at all"]
    sim = SimulatedModel(script={"answer": [*bad, Reply(output={"text": "hi", "confidence": 1})]})
    run = Run(simulated=sim)
    out = asyncio.run(llm("answer", response_model=Answer)(run, "q"))
    assert out == Answer(text="hi", confidence=1)
    assert run.summary().calls == 3


def test_repairs_stop_after_three() -> None:
    sim = SimulatedModel(script={"answer": ['{"text": "hi"}'] * 10})
    run = Run(simulated=sim)
    with pytest.raises(OutputValidationError, match="confidence"):
        asyncio.run(llm("answer", response_model=Answer)(run, "q"))
    assert run.summary().calls == 4  # the first reply and three repairs


def never_approve(d: Draft) -> tuple[bool, str]:
    return False, "try again"


def test_a_budget_stops_a_three_level_composition_with_the_best_so_far() -> None:
    flow = route(
        lambda _: "report",
        {
            "report": chain(
                llm("outline"),
                refine(llm("draft"), never_approve, llm("revise"), max_rounds=10),
            ),
            "other": llm("other"),
        },
        fallback="other",
    )
    sim = SimulatedModel(script={"revise": ["draft v2", "draft v3", "draft v4"]})
    run = Run(simulated=sim, limits=Limits(max_calls=4))
    outcome = execute_sync(flow, run, "write it")
    assert outcome.stopped_by == "max_calls=4 (would reach 5)"
    assert not outcome.finished and outcome.exit_code == 3
    assert outcome.output == "draft v3"  # the last evaluated draft when the 5th call was refused
    assert outcome.summary.stopped_by == outcome.stopped_by


def test_a_stop_inside_parallel_branches_keeps_finished_branches_and_partial_ones() -> None:
    slow_refine = refine(llm("draft"), never_approve, llm("revise"), max_rounds=10)

    async def cheap(run: Any, value: Any) -> str:
        return "code branch"

    flow = chain(llm("prepare"), parallel({"code": cheap, "essay": slow_refine}))
    run = Run(simulated=SimulatedModel(), limits=Limits(max_calls=3))
    outcome = execute_sync(flow, run, "x")
    assert outcome.stopped_by == "max_calls=3 (would reach 4)"
    best = outcome.output
    assert isinstance(best, Sections)
    assert best.outputs["code"] == "code branch"
    assert isinstance(best.outputs["essay"], str) and best.outputs["essay"]  # refine's best draft
    assert best.missing["essay"].startswith("stopped: max_calls=3")


def test_a_stop_before_any_evaluation_still_returns_the_first_draft() -> None:
    sim = SimulatedModel(script={"draft": ["first draft"]})
    flow = refine(llm("draft"), llm("evaluate", response_model=Verdict), max_rounds=3)
    outcome = execute_sync(flow, Run(simulated=sim, limits=Limits(max_calls=1)), "x")
    assert (outcome.output, outcome.stopped_by) == ("first draft", "max_calls=1 (would reach 2)")
