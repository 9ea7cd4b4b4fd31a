"""The worst case holds: real flows on the simulated model never spend more than worst_*.

Every example project's plan is built from the runtime combinators and run with random reply
sizes, loop lengths, tool turns, transport failures, timeouts (billed in full) and invalid
structured replies (repairs); no run may exceed the estimate's worst calls, tokens or dollars.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.answers import load_answers
from advisor.diagnose import diagnose
from runtime import Fail, Limits, PriceBook, Reply, RetryPolicy, Run, SimulatedModel, Timeout
from runtime.combinators.execute import execute
from runtime.errors import WorkflowError
from runtime.estimate import Estimate, estimate_settings
from runtime.model_calls.models import DEFAULT_MAX_TOKENS
from runtime.model_calls.tokens import count_text
from runtime.plan import Node
from runtime.settings import LimitSettings, Settings
from tests.estimate_flows import TOOL_RESULT, build_flow

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.yaml"))
PROMPT = "You are careful. Do the task below and answer plainly.\n"


def with_tool_cap(node: Node) -> Node:
    """Agents declare how big a tool result can be (the test tools return a fixed text)."""
    kids = [with_tool_cap(c) for c in node.children]
    params = dict(node.params)
    if node.pattern == "agent-loop":
        params["max_tool_result_tokens"] = count_text(TOOL_RESULT)
    return node.model_copy(update={"children": kids, "params": params})


def project(example: Path) -> Settings:
    s = diagnose(load_answers(example)).settings()
    # No run limits: the bound from the caps alone must hold (limits only lower it further).
    return s.model_copy(update={"plan": with_tool_cap(s.plan), "limits": LimitSettings()})


async def _no_sleep(_: float) -> None:
    return None


def spend(s: Settings, sim: SimulatedModel, text: str) -> tuple[int, int, float]:
    run = Run(
        models=s.models,
        limits=Limits(),
        simulated=sim,
        prices=PriceBook(s.prices),
        retry=RetryPolicy(max_attempts=s.max_attempts, base_s=0.0, sleep=_no_sleep),
        max_tokens=s.max_tokens,
    )
    flow = build_flow(s.plan, {step: PROMPT for step in s.plan.all_steps()})
    with contextlib.suppress(WorkflowError):  # a call that failed for good still spent
        asyncio.run(execute(flow, run, text))
    spent = run.budget.spent
    return spent.calls, spent.tokens, spent.usd


def trouble(s: Settings) -> st.SearchStrategy[dict[str, list[Any]]]:
    """Per step: transport failures, timeouts, invalid JSON and replies that fill max_tokens.

    A real provider never returns more than max_tokens, so neither do these replies (the
    simulated model clamps the usage it reports, not a scripted text).
    """
    steps = s.plan.all_steps()

    def items(step: str) -> st.SearchStrategy[list[Any]]:
        full = Reply(text="word " * (s.max_tokens.get(step, DEFAULT_MAX_TOKENS) - 1))
        one = st.sampled_from([Fail(500), Timeout(), Timeout(), Reply(text="{not json"), full])
        return st.lists(one, max_size=12)

    return st.fixed_dictionaries({}, optional={step: items(step) for step in steps})


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_no_run_exceeds_the_worst_case(example: Path) -> None:
    s = project(example)
    steps = s.plan.all_steps()
    words = "input " * (s.input_tokens - 5)
    worst: Estimate = estimate_settings(s, dict.fromkeys(steps, PROMPT), with_alternatives=False)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        seed=st.integers(0, 10_000),
        size=st.integers(1, 3000),
        tool_turns=st.integers(0, 12),
        script=trouble(s),
    )
    def check(seed: int, size: int, tool_turns: int, script: dict[str, list[Any]]) -> None:
        sim = SimulatedModel(seed=seed, text_tokens=size, tool_turns=tool_turns, script=script)
        calls, tokens, usd = spend(s, sim, words)
        assert calls <= worst.total.calls_worst
        assert tokens <= worst.total.tokens_worst
        assert usd <= worst.total.usd_worst * (1 + 1e-9)

    check()


@pytest.mark.parametrize("name", ["single-call", "prompt-chaining", "parallel-sectioning"])
def test_the_bound_is_reached_by_the_worst_run(name: str) -> None:
    """Every attempt times out but the last, which fills max_tokens: spend meets the bound."""
    s = project(Path(__file__).parent.parent / "examples" / f"{name}.yaml")
    steps = s.plan.all_steps()
    worst = estimate_settings(s, dict.fromkeys(steps, PROMPT), with_alternatives=False)
    full = {st_: "word " * (s.max_tokens.get(st_, DEFAULT_MAX_TOKENS) - 1) for st_ in steps}
    script: dict[str, list[Any]] = {
        st_: [*[Timeout()] * (s.max_attempts - 1), Reply(text=full[st_])] for st_ in steps
    }
    calls, tokens, usd = spend(s, SimulatedModel(seed=1, script=script), "input " * 495)
    assert calls == worst.total.calls_worst
    assert 0.9 * worst.total.tokens_worst <= tokens <= worst.total.tokens_worst
    assert 0.9 * worst.total.usd_worst <= usd <= worst.total.usd_worst
