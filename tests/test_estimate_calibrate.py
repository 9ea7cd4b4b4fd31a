"""Calibration: after --from-trace, expected is within 10% of what held-out traced runs cost."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from rendered import EXAMPLES, Rendered
from test_estimate_bound import project

from runtime.estimate import TraceError, calibrate, estimate_settings, read_runs
from runtime.settings import Settings


def traced_run(made: Rendered, s: Settings, seed: int, path: Path) -> float:
    """Run the project's own flow once on the simulated model with a trace; the run's cost."""
    rt, own = made.runtime, made.own(s)
    run = rt.Run(
        models=own.models,
        limits=rt.Limits(),
        simulated=rt.SimulatedModel(seed=seed, text_tokens=150, tool_turns=seed % 4),
        prices=rt.PriceBook(own.prices),
        retry=rt.RetryPolicy(max_attempts=s.max_attempts),
        max_tokens=s.max_tokens,
        trace=path,
    )
    with run, contextlib.suppress(rt.WorkflowError):  # a run a gate stopped was paid for too
        asyncio.run(made.execute()(made.flow(s), run, "input " * 300))
    cost: float = run.summary().cost_usd
    return cost


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_calibrated_expected_is_within_ten_percent(
    example: Path, tmp_path: Path, rendered: Callable[[Path], Rendered]
) -> None:
    made = rendered(example)
    s = project(made)
    learn = [tmp_path / f"learn{i}.jsonl" for i in range(12)]
    traced = [traced_run(made, s, i, path) for i, path in enumerate(learn)]
    prompts = made.prompts
    before = estimate_settings(s, prompts, input_tokens=300)
    cal = calibrate(learn)
    after = estimate_settings(s, prompts, input_tokens=300, calibration=cal)
    assert cal.runs == 12
    assert any("12 traced run" in a for a in after.assumptions)
    assert after.total.usd_exp == pytest.approx(sum(traced) / len(traced), rel=0.10)
    # Random approvals and plan sizes: rounds and workers vary a lot between 12-run samples;
    # so does a cascade's escalation (a coin per run, and an escalated run costs ~10x more).
    cascade = any(node.params.get("by") == "cascade" for node in s.plan.walk())
    if not {"evaluator-optimizer", "orchestrator-workers"} & set(s.plan.patterns()) and not cascade:
        fresh = [traced_run(made, s, 100 + i, tmp_path / f"check{i}.jsonl") for i in range(12)]
        truth, learned = sum(fresh) / len(fresh), sum(traced) / len(traced)
        # Two 12-run samples differ by chance (which route a run takes): no estimate learned
        # from one can be nearer the other than they are to each other, so that much is allowed.
        chance = abs(learned - truth)
        assert abs(after.total.usd_exp - truth) <= 0.10 * truth + chance
        assert abs(after.total.usd_exp - truth) < abs(before.total.usd_exp - truth)


def test_a_file_may_hold_several_runs(tmp_path: Path) -> None:
    lines = [
        {"step": "a", "model": "m", "prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 1e-6},
        {"summary": True, "calls": 1, "cost_usd": 1e-6},
        {
            "step": "r>a",
            "model": "m",
            "prompt_tokens": 30,
            "completion_tokens": 5,
            "cost_usd": 2e-6,
        },
        {"summary": True, "calls": 1, "cost_usd": 2e-6},
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert len(read_runs(path)) == 2
    cal = calibrate([path])
    assert cal.steps["a"].prompt_tokens == 20 and cal.steps["a"].calls_per_run == 1


def test_a_run_interrupted_by_ctrl_c_says_so_and_teaches_the_estimate_nothing(
    tmp_path: Path,
) -> None:
    # Before: its summary line read like a finished run's, so --from-trace learned the
    # cancelled call's reserved max_tokens as its output and the steps never reached as 0 calls.
    from runtime import Run, SimulatedModel
    from runtime.combinators import chain, execute, llm

    path = tmp_path / "t.jsonl"
    whole = Run(models="openai/gpt-4o-mini", simulated=SimulatedModel(), trace=path)
    with whole:
        asyncio.run(execute(chain(llm("draft"), llm("polish")), whole, "hello"))

    async def cut_short(run: Run) -> None:
        await execute(llm("draft"), run, "hello")
        raise KeyboardInterrupt  # the person pressed Ctrl-C before polish

    cut = Run(models="openai/gpt-4o-mini", simulated=SimulatedModel(), trace=path)
    with pytest.raises(KeyboardInterrupt), cut:
        asyncio.run(cut_short(cut))
    summaries = [json.loads(x) for x in path.read_text().splitlines() if '"summary"' in x]
    assert [s["stopped_by"] for s in summaries] == [None, "interrupted"]
    cal = calibrate([path])
    assert cal.runs == 1 and cal.steps["polish"].calls_per_run == 1


@pytest.mark.parametrize("text", ["not json\n", '{"x": 1}\n', ""])
def test_bad_trace_files_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(text)
    with pytest.raises(TraceError):
        calibrate([path])
