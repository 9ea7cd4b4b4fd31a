"""`dependencies: true` in the advisor and the estimate: the orchestrator runs its plan in
waves, the reasons say so in the user's words, the calls stay planner + workers + synthesizer,
and the wait (critical path, latency) grows with the waves, not with the number of workers."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from clirun import run_cli
from pydantic import BaseModel, Field

from advisor.answers import parse_answers
from advisor.calls import count_calls
from advisor.commands.new import spec_from
from advisor.diagnose import diagnose
from runtime.dag import DagPlan, dag_problem, levels
from runtime.estimate.fanouts import mean_waves, waves_in
from runtime.estimate.project import estimate_project
from runtime.model_calls.fake_values import fake_value
from runtime.params import with_defaults

PLANNED: dict[str, Any] = {
    "schema": 2,
    "name": "planned research",
    "flow": "depends-on-input",
    "dependencies": True,
    "categories": ["research", "write"],
}


def test_the_orchestrator_runs_in_waves_and_says_why_in_the_users_words() -> None:
    rec = diagnose(parse_answers(PLANNED))
    node = rec.composition
    assert node.pattern == "orchestrator-workers" and node.params["dependencies"] is True
    why = " ".join(rec.reasons)
    assert "run in waves" in why and "each worker gets the results it depends on" in why
    assert "goes back to the planner to fix" in why
    assert rec.warnings == []  # in particular, no "not yet wired"


def test_calls_are_the_same_and_the_wait_is_one_worker_per_wave() -> None:
    flat = diagnose(parse_answers({**PLANNED, "dependencies": False})).calls_per_request
    waves = diagnose(parse_answers(PLANNED)).calls_per_request
    assert (waves.expected, waves.worst) == (flat.expected, flat.worst)  # plan + 3 + synthesis
    assert flat.critical_path == 3  # plan, the workers at once, the synthesis
    assert waves.critical_path == 4  # plan, two waves, the synthesis
    many = dict(PLANNED, name="many")
    rec = diagnose(parse_answers(many))
    rec.composition.params.update(expected_workers=5, expected_waves=2)  # more workers, same
    assert count_calls(rec.composition).critical_path == 4


def test_a_slow_plan_is_felt_by_a_waiting_person_through_its_waves() -> None:
    rec = diagnose(parse_answers({**PLANNED, "latency_sensitive": True}))
    (slow,) = [w for w in rec.warnings if "waits for 4 calls one after another" in w]
    assert "one call per wave, not per subtask" in slow


def test_dependencies_without_a_planner_are_ignored_with_a_warning() -> None:
    rec = diagnose(
        parse_answers({"schema": 2, "name": "x", "steps": ["a", "b"], "dependencies": True})
    )
    assert any("`dependencies: true` is about planned subtasks" in w for w in rec.warnings)
    assert "dependencies" not in rec.composition.params


def test_expected_waves_is_checked_and_filled_when_settings_load() -> None:
    node = diagnose(parse_answers(PLANNED)).composition
    bare = node.model_copy(update={"params": {"dependencies": True}})
    assert with_defaults(bare).params["expected_waves"] > 0
    bad = node.model_copy(update={"params": {"dependencies": True, "expected_waves": 0}})
    with pytest.raises(ValueError, match="expected_waves"):
        with_defaults(bad)
    plain = node.model_copy(update={"params": {}})
    assert "expected_waves" not in with_defaults(plain).params


def _estimate(tmp_path: Path, capsys: pytest.CaptureFixture[str], **answers: Any) -> Any:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({**PLANNED, **answers}))
    res = run_cli(["estimate", "--answers", str(path), "--json"], capsys)
    assert res.code == 0, res.err
    return json.loads(res.out)["per_request"]


def test_the_estimate_waits_per_wave_and_prices_the_results_workers_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flat = _estimate(tmp_path, capsys, dependencies=False)
    waves = _estimate(tmp_path, capsys)
    assert waves["expected_calls"] == flat["expected_calls"]
    assert waves["critical_path_calls"] == flat["critical_path_calls"] + 1
    assert waves["expected_latency_s"] > flat["expected_latency_s"]
    # workers past the first wave read the results they depend on: more tokens, never fewer
    assert waves["expected_tokens"] > flat["expected_tokens"]
    assert waves["worst_tokens"] > flat["worst_tokens"]


class _Sub(BaseModel):
    id: str
    task: str
    depends_on: list[str] = Field(default_factory=list)


class _Plan(DagPlan):
    subtasks: list[_Sub] = Field(min_length=1)


def test_the_simulated_planner_plans_a_real_dag_with_more_than_one_wave() -> None:
    for seed in range(20):
        value = fake_value(_Plan.model_json_schema(), random.Random(seed))
        plan = _Plan.model_validate(value)
        assert dag_problem(plan.subtasks) is None
        assert 2 <= len(levels(plan.subtasks)) <= 3
        assert any(s.depends_on for s in plan.subtasks)
    again = fake_value(_Plan.model_json_schema(), random.Random(7))
    assert again == fake_value(_Plan.model_json_schema(), random.Random(7))


def test_traces_give_the_waves_each_request_waited_through() -> None:
    run1 = [
        {"step": "orchestrate>plan"},
        {"step": "orchestrate>wave1>look#1>look"},
        {"step": "orchestrate>wave1>look#2>look"},
        {"step": "orchestrate>wave2>write#3>write"},
        {"step": "orchestrate>wave2>write#3>write"},  # a retry is the same wave
        {"step": "orchestrate>synthesize"},
    ]
    run2 = [{"step": "orchestrate>wave1>look#1>look"}]
    assert waves_in(run1) == {"orchestrate": 2}
    assert mean_waves([run1, run2, [{"step": "answer"}]]) == {"orchestrate": 1.5}


def test_estimate_from_a_trace_learns_each_tiers_waves_by_its_orchestrator(tmp_path: Path) -> None:
    # Two tiers, each an orchestrator with dependencies: workflow.py names each orchestrate()
    # after its node, so the trace's `route>easy>easy>waveN` is the easy tier's wave.
    tiered = {**PLANNED, "difficulty": {"easy": "openai/gpt-4o-mini", "hard": "openai/gpt-4o"}}
    settings = spec_from(diagnose(parse_answers(tiered))).settings
    before = estimate_project(settings, None).critical_path_calls
    calls = [{"step": "route>classify", "cost_usd": 0.0}, {"step": "route>easy>easy>easy_plan"}]
    calls += [{"step": f"route>easy>easy>wave{n}>easy_write#{n}>easy_write"} for n in (1, 2, 3, 4)]
    calls += [{"step": "route>easy>easy>easy_synthesize"}, {"summary": True, "cost_usd": 0.0}]
    trace = tmp_path / "trace.jsonl"
    trace.write_text("".join(json.dumps(c) + "\n" for c in calls))
    learned = estimate_project(settings, None, traces=[trace])
    assert learned.calibration is not None and learned.calibration.waves == {"easy": 4}
    assert learned.critical_path_calls > before
