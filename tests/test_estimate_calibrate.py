"""Calibration: after --from-trace, expected is within 10% of what held-out traced runs cost."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from runtime import Limits, PriceBook, RetryPolicy, Run, SimulatedModel
from runtime.combinators.execute import execute
from runtime.estimate import TraceError, calibrate, estimate_settings, read_runs
from tests.estimate_flows import build_flow
from tests.test_estimate_bound import EXAMPLES, PROMPT, project


def traced_run(s, seed: int, path: Path) -> float:  # type: ignore[no-untyped-def]
    """Run the plan once on the simulated model with a trace; the run's cost."""
    run = Run(
        models=s.models,
        limits=Limits(),
        simulated=SimulatedModel(seed=seed, text_tokens=150, tool_turns=seed % 4),
        prices=PriceBook(s.prices),
        retry=RetryPolicy(max_attempts=s.max_attempts),
        max_tokens=s.max_tokens,
        trace=path,
    )
    flow = build_flow(s.plan, dict.fromkeys(s.plan.all_steps(), PROMPT))
    with run:
        asyncio.run(execute(flow, run, "input " * 300))
    return run.summary().cost_usd


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_calibrated_expected_is_within_ten_percent(example: Path, tmp_path: Path) -> None:
    s = project(example)
    learn = [tmp_path / f"learn{i}.jsonl" for i in range(12)]
    traced = [traced_run(s, i, path) for i, path in enumerate(learn)]
    prompts = dict.fromkeys(s.plan.all_steps(), PROMPT)
    before = estimate_settings(s, prompts, input_tokens=300)
    cal = calibrate(learn)
    after = estimate_settings(s, prompts, input_tokens=300, calibration=cal)
    assert cal.runs == 12
    assert any("12 traced run" in a for a in after.assumptions)
    assert after.total.usd_exp == pytest.approx(sum(traced) / len(traced), rel=0.10)
    if "evaluator-optimizer" not in s.plan.patterns():  # random approvals: rounds vary a lot
        fresh = [traced_run(s, 100 + i, tmp_path / f"check{i}.jsonl") for i in range(12)]
        truth = sum(fresh) / len(fresh)
        assert after.total.usd_exp == pytest.approx(truth, rel=0.10)
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


@pytest.mark.parametrize("text", ["not json\n", '{"x": 1}\n', ""])
def test_bad_trace_files_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(text)
    with pytest.raises(TraceError):
        calibrate([path])
