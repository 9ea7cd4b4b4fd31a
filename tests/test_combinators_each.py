"""each: a map over items split from the input, in parallel, capped, joined in item order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from runtime.combinators import execute_sync, llm
from runtime.combinators.each import CHUNK_CHARS, each, split_text
from runtime.combinators.errors import BranchFailed
from runtime.model_calls.budget import Limits
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import SimulatedModel


def test_the_default_split_takes_paragraphs_else_fixed_chunks() -> None:
    assert split_text("one\n\ntwo\n  \nthree\n") == ["one", "two", "three"]
    block = "x" * (CHUNK_CHARS * 2 + 5)
    assert [len(c) for c in split_text(block)] == [CHUNK_CHARS, CHUNK_CHARS, 5]
    assert split_text("  \n") == []


async def _slow_upper(run: Run, value: Any) -> str:
    for _ in range(5 - len(value)):  # later items finish first (yields, no real sleep)
        await asyncio.sleep(0)
    return str(value).upper()


def test_results_come_back_joined_in_item_order_whatever_finishes_first() -> None:
    step = each("map", _slow_upper, split_text, max_items=10, concurrency=4)
    out = asyncio.run(step(Run(simulated=SimulatedModel()), "a\n\nbb\n\nccc\n\ndddd"))
    assert out == "A\n\nBB\n\nCCC\n\nDDDD"


def test_the_cap_runs_the_first_max_items_and_says_so() -> None:
    seen: list[str] = []

    async def record(run: Run, value: Any) -> str:
        seen.append(value)
        return str(value)

    step = each("map", record, split_text, max_items=2, concurrency=4)
    outcome = execute_sync(step, Run(simulated=SimulatedModel()), "a\n\nb\n\nc\n\nd")
    assert sorted(seen) == ["a", "b"] and outcome.output == "a\n\nb"
    assert any("4 items; ran the first max_items=2" in n.message for n in outcome.notes)


def test_a_refused_item_does_not_cancel_its_paid_siblings() -> None:
    run = Run(simulated=SimulatedModel())
    model = llm("summarize")

    async def maybe(run: Run, value: Any) -> Any:
        if value == "refuse":
            raise ValueError("the model refused this item")
        return await model(run, value)

    step = each("map", maybe, split_text, max_items=10, concurrency=3)
    outcome = execute_sync(step, run, "first\n\nrefuse\n\nthird")
    assert run.summary().calls == 2
    parts = outcome.output.split("\n\n")
    assert len(parts) == 2 and all(p.startswith("[summarize]") for p in parts)
    assert any("item#2 has no result" in n.message for n in outcome.notes)


def test_every_item_failing_is_an_error() -> None:
    async def refuse(run: Run, value: Any) -> str:
        raise ValueError("no")

    step = each("map", refuse, split_text, max_items=3, concurrency=3)
    with pytest.raises(BranchFailed, match="item#1"):
        asyncio.run(step(Run(simulated=SimulatedModel()), "a\n\nb"))


def test_a_budget_stop_keeps_the_finished_items_as_the_best_so_far() -> None:
    run = Run(simulated=SimulatedModel(), limits=Limits(max_calls=2))
    step = each("map", llm("summarize"), split_text, max_items=10, concurrency=1)
    outcome = execute_sync(step, run, "a\n\nb\n\nc\n\nd")
    assert outcome.stopped_by and run.summary().calls == 2
    assert len(outcome.output.split("\n\n")) == 2


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_items"):
        each("map", _slow_upper, split_text, max_items=0, concurrency=1)
