"""Run: the trace file, step paths, model choice, the model-request switch, settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

import runtime.model_calls.models
from runtime import (
    BudgetExceeded,
    Cap,
    CapReached,
    Fail,
    Limits,
    ModelCallError,
    ModelMap,
    ModelRequestsDisabled,
    Run,
    SimulatedModel,
    Timeout,
    scope,
)
from runtime.model_calls.trace import scrub
from runtime.plan import Node
from runtime.settings import LimitSettings, ModelChoice, PriceOverride, Settings

MSG = [{"role": "user", "content": "Draft a reply to the customer."}]


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_trace_has_one_line_per_attempt_and_a_summary(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    sim = SimulatedModel(script={"review": [Fail(503, retry_after="0")]})
    with Run(simulated=sim, trace=trace) as run:
        run.call_sync("draft", MSG, max_tokens=60)
        with scope("gate"):
            run.call_sync("review", MSG, max_tokens=60)
    got = lines(trace)
    assert [(x["step"], x["attempt"], x["ok"]) for x in got[:3]] == [
        ("draft", 1, True),
        ("gate>review", 1, False),
        ("gate>review", 2, True),
    ]
    keys = {"step", "model", "prompt_tokens", "completion_tokens", "cost_usd", "latency_s"}
    assert keys <= set(got[0]) and "503" in str(got[1]["error"])
    summary = got[-1]
    assert summary["summary"] is True and summary["calls"] == 3
    assert summary["prompt_tokens"] == sum(int(x["prompt_tokens"]) for x in got[:3])  # type: ignore[call-overload]
    assert summary["cost_usd"] == pytest.approx(sum(float(x["cost_usd"]) for x in got[:3]))  # type: ignore[arg-type]
    assert summary["stopped_by"] is None


def test_summary_names_what_stopped_the_run(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    with (
        pytest.raises(BudgetExceeded),
        Run(simulated=SimulatedModel(), trace=trace, limits=Limits(max_calls=1)) as run,
    ):
        run.call_sync("draft", MSG, max_tokens=10)
        run.call_sync("draft", MSG, max_tokens=10)
    assert lines(trace)[-1]["stopped_by"] == "max_calls=1 (would reach 2)"

    trace2 = tmp_path / "t2.jsonl"
    with pytest.raises(CapReached), Run(simulated=SimulatedModel(), trace=trace2):
        rounds = Cap("max_rounds", 2)
        for _ in range(3):
            rounds.take()
    assert lines(trace2)[-1]["stopped_by"] == "max_rounds=2 (would reach 3)"


def test_traces_never_hold_an_api_key(tmp_path: Path) -> None:
    key = "sk-proj-" + "A1b2C3d4" * 5
    trace = tmp_path / "t.jsonl"
    sim = SimulatedModel(script={"draft": [ValueError(f"Incorrect API key provided: {key}")]})
    run = Run(simulated=sim, trace=trace, api_key=key)
    with pytest.raises(ModelCallError) as info:
        run.call_sync("draft", MSG, max_tokens=10)
    run.close()
    assert key not in trace.read_text() and key not in str(info.value)
    assert "[redacted]" in trace.read_text()
    assert scrub("Authorization: Bearer abcdefghijklmnop") == "Authorization: [redacted]"


def test_a_timed_out_attempt_is_charged_its_worst_case() -> None:
    run = Run(simulated=SimulatedModel(script={"draft": [Timeout()]}))
    run.call_sync("draft", MSG, max_tokens=100)
    summary = run.summary()
    assert summary.calls == 2 and summary.completion_tokens >= 100


def test_the_step_name_picks_the_model() -> None:
    run = Run(
        models=ModelMap(default="openai/gpt-4o", per_step={"classify": "openai/gpt-4o-mini"}),
        simulated=SimulatedModel(),
    )
    with scope("route"):
        assert run.call_sync("classify", MSG, max_tokens=5).model == "openai/gpt-4o-mini"
    assert run.call_sync("draft", MSG, max_tokens=5).model == "openai/gpt-4o"


def test_real_requests_fail_loudly_in_the_test_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelRequestsDisabled, match="openai/gpt-4o-mini"):
        Run().call_sync("draft", MSG, max_tokens=10)
    monkeypatch.setenv("WFADVISE_ALLOW_MODEL_REQUESTS", "1")
    monkeypatch.setattr(runtime.model_calls.models, "ALLOW_MODEL_REQUESTS", False)
    with pytest.raises(ModelRequestsDisabled):
        Run().call_sync("draft", MSG, max_tokens=10)


def test_from_settings_takes_models_limits_prices_and_overrides(tmp_path: Path) -> None:
    settings = Settings(
        name="desk",
        pattern="single-call",
        plan=Node(pattern="single-call", name="answer", steps=["answer"]),
        models=ModelChoice(default="acme/secret-model", steps={"answer": "acme/secret-model"}),
        max_tokens={"answer": 42},
        limits=LimitSettings(max_usd=0.5, max_calls=3),
        prices={"acme/secret-model": PriceOverride(input_per_mtok=1.0, output_per_mtok=2.0)},
        max_attempts=5,
    )
    run = Run.from_settings(settings, simulated=SimulatedModel(), max_calls=1)
    assert run.budget.limits == Limits(max_usd=0.5, max_calls=1)
    assert run.retry.max_attempts == 5
    res = run.call_sync("answer", MSG)
    assert res.usage.completion_tokens <= 42 and res.cost_usd is not None
    other = Run.from_settings(settings, simulated=SimulatedModel(), model="openai/gpt-4o-mini")
    assert other.call_sync("answer", MSG).model == "openai/gpt-4o-mini"


class Plan(BaseModel):
    steps: list[str]


def test_call_result_is_typed_by_the_response_model() -> None:
    res = Run(simulated=SimulatedModel()).call_sync("plan", MSG, response_model=Plan, max_tokens=90)
    assert isinstance(res.output, Plan) and res.text.startswith("{")
