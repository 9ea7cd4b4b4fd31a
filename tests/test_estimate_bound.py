"""The worst case holds: real flows on the simulated model never spend more than worst_*.

Every example is rendered as `wfadvise new` writes it (once per session), and the project's own
`build(settings)` runs on its own vendored runtime with random reply sizes, loop lengths, tool
turns, transport failures, timeouts (billed in full) and invalid structured replies (repairs);
no run may exceed the estimate's worst calls, tokens or dollars made from the same settings and
prompt files.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rendered import EXAMPLES, TOOL_RESULT, Rendered

from runtime.estimate import Estimate, estimate_settings
from runtime.model_calls.models import DEFAULT_MAX_TOKENS
from runtime.model_calls.tokens import count_text
from runtime.plan import Node
from runtime.settings import LimitSettings, Settings


def with_tool_cap(node: Node) -> Node:
    """Agents declare how big a tool result can be (the test tools return a fixed text)."""
    kids = [with_tool_cap(c) for c in node.children]
    params = dict(node.params)
    if node.pattern == "agent-loop":
        params["max_tool_result_tokens"] = count_text(TOOL_RESULT)
    return node.model_copy(update={"children": kids, "params": params})


def project(made: Rendered) -> Settings:
    """The project's settings without run limits: the caps alone must bound every run."""
    s = made.settings
    return s.model_copy(update={"plan": with_tool_cap(s.plan), "limits": LimitSettings()})


async def _no_sleep(_: float) -> None:
    return None


def spend(made: Rendered, s: Settings, sim: Any, text: str) -> tuple[int, int, float]:
    """What one run of the project's own flow spent (calls, tokens, dollars)."""
    rt, own = made.runtime, made.own(s)
    run = rt.Run(
        models=own.models,
        limits=rt.Limits(),
        simulated=sim,
        prices=rt.PriceBook(own.prices),
        retry=rt.RetryPolicy(max_attempts=s.max_attempts, base_s=0.0, sleep=_no_sleep),
        max_tokens=s.max_tokens,
    )
    with contextlib.suppress(rt.WorkflowError):  # a call that failed for good still spent
        asyncio.run(made.execute()(made.flow(s), run, text))
    spent = run.budget.spent
    return spent.calls, spent.tokens, spent.usd


def trouble(made: Rendered, s: Settings) -> st.SearchStrategy[dict[str, list[Any]]]:
    """Per step: transport failures, timeouts, invalid JSON and replies that fill max_tokens.

    A real provider never returns more than max_tokens, so neither do these replies (the
    simulated model clamps the usage it reports, not a scripted text).
    """
    steps, rt = s.plan.all_steps(), made.runtime

    def items(step: str) -> st.SearchStrategy[list[Any]]:
        full = rt.Reply(text="word " * (s.max_tokens.get(step, DEFAULT_MAX_TOKENS) - 1))
        bad = rt.Reply(text="{not json")
        one = st.sampled_from([rt.Fail(500), rt.Timeout(), rt.Timeout(), bad, full])
        return st.lists(one, max_size=12)

    return st.fixed_dictionaries({}, optional={step: items(step) for step in steps})


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_no_run_exceeds_the_worst_case(example: Path, rendered: Callable[[Path], Rendered]) -> None:
    made = rendered(example)
    s = project(made)
    words = "input " * (s.input_tokens - 5)
    worst: Estimate = estimate_settings(s, made.prompts, with_alternatives=False)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        seed=st.integers(0, 10_000),
        size=st.integers(1, 3000),
        tool_turns=st.integers(0, 12),
        script=trouble(made, s),
    )
    def check(seed: int, size: int, tool_turns: int, script: dict[str, list[Any]]) -> None:
        sim = made.runtime.SimulatedModel(
            seed=seed, text_tokens=size, tool_turns=tool_turns, script=script
        )
        calls, tokens, usd = spend(made, s, sim, words)
        assert calls <= worst.total.calls_worst
        assert tokens <= worst.total.tokens_worst
        assert usd <= worst.total.usd_worst * (1 + 1e-9)

    check()


@pytest.mark.parametrize("name", ["single-call", "prompt-chaining", "parallel-sectioning"])
def test_the_bound_is_reached_by_the_worst_run(
    name: str, rendered: Callable[[Path], Rendered]
) -> None:
    """Every attempt times out but the last, which fills max_tokens: spend meets the bound."""
    made = rendered(Path(__file__).parent.parent / "examples" / f"{name}.yaml")
    s, rt = project(made), made.runtime
    steps = s.plan.all_steps()
    worst = estimate_settings(s, made.prompts, with_alternatives=False)
    full = {st_: "word " * (s.max_tokens.get(st_, DEFAULT_MAX_TOKENS) - 1) for st_ in steps}
    script: dict[str, list[Any]] = {
        st_: [*[rt.Timeout()] * (s.max_attempts - 1), rt.Reply(text=full[st_])] for st_ in steps
    }
    sim = rt.SimulatedModel(seed=1, script=script)
    calls, tokens, usd = spend(made, s, sim, "input " * 495)
    assert calls == worst.total.calls_worst
    assert 0.9 * worst.total.tokens_worst <= tokens <= worst.total.tokens_worst
    assert 0.9 * worst.total.usd_worst <= usd <= worst.total.usd_worst
