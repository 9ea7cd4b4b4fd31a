"""cascade: the cheap model first, the strong one only for answers its check doubts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from stub_server import STUB_MODEL, StubServer

from runtime.combinators import Attempt, Confidence, cascade, execute_sync, llm
from runtime.combinators.cascade import answer_confidence, escalations
from runtime.model_calls.budget import Limits
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel


def sure(value: float) -> Reply:
    return Reply(output={"confidence": value, "reason": ""})


def model_cascade(threshold: float = 0.7) -> Any:
    return cascade(
        llm("easy_answer"),
        llm("hard_answer"),
        llm("confidence", "{input}", response_model=Confidence),
        threshold=threshold,
    )


def trace_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_confident_cheap_answer_is_kept_and_a_doubtful_one_escalates(tmp_path: Path) -> None:
    sim = SimulatedModel(script={"confidence": [sure(0.9), sure(0.2)]})
    trace = tmp_path / "t.jsonl"
    run = Run(simulated=sim, trace=trace)
    flow = model_cascade()
    with run:
        first = execute_sync(flow, run, "easy question")
        second = execute_sync(flow, run, "hard question")
    assert str(first.output).startswith("[easy_answer]")
    assert str(second.output).startswith("[hard_answer]")
    steps = [rec["step"].rsplit(">", 1)[-1] for rec in trace_lines(trace) if "step" in rec]
    assert steps == ["easy_answer", "confidence", "easy_answer", "confidence", "hard_answer"]


def test_the_trace_gives_the_escalation_rate(tmp_path: Path) -> None:
    verdicts = [sure(v) for v in (0.9, 0.1, 0.95, 0.5)]
    trace = tmp_path / "t.jsonl"
    run = Run(simulated=SimulatedModel(script={"confidence": verdicts}), trace=trace)
    flow = model_cascade(threshold=0.6)
    with run:
        for question in ("a", "b", "c", "d"):
            execute_sync(flow, run, question)
    counted = escalations(trace_lines(trace))["cascade"]
    assert (counted.decided, counted.escalated, counted.rate) == (4, 2, 0.5)
    hard_calls = [r for r in trace_lines(trace) if r.get("step", "").endswith("hard_answer")]
    assert len(hard_calls) == 2


def test_the_check_sees_the_input_and_the_cheap_answer() -> None:
    seen: list[Attempt] = []

    def check(attempt: Attempt) -> float:
        seen.append(attempt)
        return 1.0

    flow = cascade(llm("easy_answer"), llm("hard_answer"), check, threshold=0.5)
    run = Run(simulated=SimulatedModel())
    out = asyncio.run(flow(run, "what is 2+2?"))
    assert seen[0].task == "what is 2+2?" and seen[0].answer == out
    assert "# Task\nwhat is 2+2?" in str(seen[0]) and "# Answer\n[easy_answer]" in str(seen[0])
    assert run.summary().calls == 1  # a code check makes no call


def test_a_budget_stop_on_the_strong_call_keeps_the_paid_cheap_answer() -> None:
    sim = SimulatedModel(script={"confidence": [sure(0.1)]})
    run = Run(simulated=sim, limits=Limits(max_calls=2))
    outcome = execute_sync(model_cascade(), run, "question")
    assert str(outcome.output).startswith("[easy_answer]")
    assert outcome.stopped_by and "max_calls" in outcome.stopped_by
    assert run.summary().calls == 2
    assert any("keeping the cheap answer" in n.message for n in outcome.notes)


def test_a_stop_before_the_check_carries_the_cheap_answer_as_the_best() -> None:
    run = Run(simulated=SimulatedModel(), limits=Limits(max_calls=1))
    outcome = execute_sync(model_cascade(), run, "question")
    assert outcome.stopped_by and str(outcome.output).startswith("[easy_answer]")


def test_a_failing_check_escalates_and_says_so() -> None:
    sim = SimulatedModel(script={"confidence": ["not json"] * 10})
    run = Run(simulated=sim)
    outcome = execute_sync(model_cascade(), run, "question")
    assert str(outcome.output).startswith("[hard_answer]")
    assert any("confidence check failed" in n.message for n in outcome.notes)


def test_the_default_code_check_doubts_empty_and_hedging_answers() -> None:
    assert answer_confidence(Attempt("q", "")) == 0.0
    assert answer_confidence(Attempt("q", "I'm not sure, it depends.")) < 0.5
    assert answer_confidence(Attempt("q", "Paris is the capital of France.")) > 0.5


def test_a_check_returning_nonsense_is_a_clear_error_and_a_bad_threshold_is_refused() -> None:
    flow = cascade(llm("easy_answer"), llm("hard_answer"), lambda a: "high", threshold=0.5)
    with pytest.raises(TypeError, match="number in \\[0, 1\\]"):
        asyncio.run(flow(Run(simulated=SimulatedModel()), "q"))
    with pytest.raises(ValueError, match="threshold"):
        cascade(llm("a"), llm("b"), answer_confidence, threshold=0)


def test_over_http_the_strong_model_answers_only_what_the_check_doubts(
    stub: StubServer,
) -> None:
    stub.reply("cheap: 4")
    stub.reply('{"confidence": 0.95, "reason": ""}')
    stub.reply("cheap: maybe 7?")
    stub.reply('{"confidence": 0.2, "reason": "guesses"}')
    stub.reply("strong: 12")
    run = Run(models=STUB_MODEL, api_base=stub.base_url, api_key="test")
    flow = model_cascade()
    assert asyncio.run(flow(run, "2+2")) == "cheap: 4"
    assert asyncio.run(flow(run, "3*4")) == "strong: 12"
    assert len(stub.requests) == 5
    judged = str(stub.requests[3].body["messages"][-1]["content"])
    assert "# Task\n3*4" in judged and "# Answer\ncheap: maybe 7?" in judged
