"""vote: majority with a threshold; below it UNCERTAIN, never a guess."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from runtime.combinators import UNCERTAIN, execute_sync, llm, vote
from runtime.model_calls.completion import CallRequest, RawCompletion
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import SimulatedModel


def scripted(*answers: str) -> Any:
    """A code task returning the given answers in turn."""
    feed = itertools.cycle(answers)

    def task(_: Any) -> str:
        return next(feed)

    return task


def test_the_majority_wins_when_it_reaches_the_threshold() -> None:
    flow = vote(scripted("Yes", "yes ", "no", "YES", "no"), n=5, threshold=0.6)
    result = asyncio.run(flow(None, "is it spam?"))
    assert str(result.answer).strip().lower() == "yes"
    assert (result.votes, result.n, result.agreement) == (3, 5, 0.6)
    assert not result.uncertain
    assert result.tally == {"yes": 3, "no": 2}


def test_below_the_threshold_the_answer_is_uncertain() -> None:
    flow = vote(scripted("yes", "yes", "no", "no", "maybe"), n=5, threshold=0.6)
    outcome = execute_sync(flow, Run(simulated=SimulatedModel()), "is it spam?")
    assert outcome.output.answer == UNCERTAIN
    assert outcome.output.uncertain
    assert outcome.output.agreement == 0.4
    assert [n.kind for n in outcome.notes] == ["uncertain"]


def test_a_tie_at_the_top_is_uncertain_even_above_the_threshold() -> None:
    flow = vote(scripted("a", "b"), n=4, threshold=0.5)
    assert asyncio.run(flow(None, "?")).uncertain


def test_failed_votes_count_against_the_threshold() -> None:
    feed = iter(["yes", "yes", "boom", "boom"])

    def task(_: Any) -> str:
        answer = next(feed)
        if answer == "boom":
            raise RuntimeError("model error")
        return answer

    result = asyncio.run(vote(task, n=4, threshold=0.75)(None, "?"))
    assert result.uncertain  # 2 of 4, although both answers that came back agree
    assert result.agreement == 0.5


@dataclass
class RecordingModel(SimulatedModel):
    temperatures: list[float | None] = field(default_factory=list)

    async def complete(self, req: CallRequest) -> RawCompletion:
        self.temperatures.append(req.temperature)
        return await super().complete(req)


def test_model_votes_run_n_times_at_the_vote_temperature() -> None:
    sim = RecordingModel(script={"judge": ["spam", "spam", "ham"]})
    run = Run(simulated=sim)
    result = asyncio.run(vote(llm("judge"), n=3, threshold=0.5, temperature=0.9)(run, "?"))
    assert result.answer == "spam"
    assert sim.temperatures == [0.9, 0.9, 0.9]


def test_a_threshold_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        vote(str, n=3, threshold=2)
