"""refine: evaluate and revise until approved, never past max_rounds; the best draft wins."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from runtime.combinators import Draft, Verdict, execute_sync, llm, refine
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel


def test_the_evaluator_stops_at_max_rounds_and_returns_the_best_draft() -> None:
    drafts = iter(["d1", "d2", "d3", "d4", "d5"])
    scores = {"d1": 0.4, "d2": 0.9, "d3": 0.6}
    evaluated: list[str] = []

    def generate(_: Any) -> str:
        return next(drafts)

    def evaluate(d: Draft) -> Verdict:
        evaluated.append(d.draft)
        return Verdict(approved=False, feedback=f"improve {d.draft}", score=scores[d.draft])

    outcome = execute_sync(
        refine(generate, evaluate, max_rounds=3), Run(simulated=SimulatedModel()), "task"
    )
    result = outcome.output
    assert evaluated == ["d1", "d2", "d3"]  # three rounds, no fourth draft
    assert (result.output, result.approved, result.rounds) == ("d2", False, 3)
    assert result.stopped_by == "max_rounds=3 (would reach 4)"
    assert outcome.stopped_by == "max_rounds=3 (would reach 4)"
    assert outcome.exit_code == 3


def test_approval_ends_the_loop_early_and_revise_sees_the_feedback() -> None:
    seen: list[str] = []

    def revise(d: Draft) -> str:
        seen.append(d.feedback)
        return d.draft + " with sources"

    def evaluate(d: Draft) -> tuple[bool, str]:
        return ("sources" in d.draft, "cite your sources")

    result = asyncio.run(
        refine(lambda t: f"essay on {t}", evaluate, revise, max_rounds=5)(None, "x")
    )
    assert (result.output, result.approved, result.rounds, result.stopped_by) == (
        "essay on x with sources",
        True,
        2,
        None,
    )
    assert seen == ["cite your sources"]


def test_a_code_check_can_judge_a_model_generator() -> None:
    sim = SimulatedModel(script={"draft": ["not json", '{"ok": true}']})

    def parses(d: Draft) -> bool:
        try:
            json.loads(d.draft)
        except ValueError:
            return False
        return True

    run = Run(simulated=sim)
    result = asyncio.run(refine(llm("draft"), parses, max_rounds=3)(run, "emit JSON"))
    assert result.approved and result.output == '{"ok": true}'
    assert run.summary().calls == 2


def test_a_model_evaluator_returns_structured_verdicts() -> None:
    verdicts = [
        Reply(output=Verdict(approved=False, feedback="too long")),
        Reply(output=Verdict(approved=True)),
    ]
    sim = SimulatedModel(script={"evaluate": verdicts})
    run = Run(simulated=sim)
    flow = refine(
        llm("draft"), llm("evaluate", response_model=Verdict), llm("revise"), max_rounds=4
    )
    result = asyncio.run(flow(run, "summarise"))
    assert (result.approved, result.rounds) == (True, 2)
    assert run.summary().calls == 4  # draft, evaluate, revise, evaluate
