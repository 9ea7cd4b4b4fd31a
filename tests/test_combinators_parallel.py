"""parallel: branches at once, a slow branch cut at its timeout, the gap reported."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from virtual_clock import run_virtual

from runtime.combinators import BranchFailed, Sections, execute_sync, llm, parallel
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import SimulatedModel


def sleeper(seconds: float, result: str) -> Any:
    async def branch(run: Any, value: Any) -> str:
        await asyncio.sleep(seconds)
        return result

    return branch


def test_a_timed_out_branch_does_not_stall_the_others() -> None:
    flow = parallel(
        {"fast": sleeper(0.01, "a"), "slow": sleeper(30, "b"), "quick": sleeper(0.02, "c")},
        branch_timeout_s=0.2,
        on_failure="partial",
    )
    out, elapsed = run_virtual(flow(None, "x"))
    assert elapsed == pytest.approx(0.2)  # the 30 s branch was cut at its 0.2 s timeout
    assert out.outputs == {"fast": "a", "quick": "c"}
    assert out.missing == {"slow": "timed out after 0.2s"}
    assert not out.complete


def test_on_failure_fail_raises_naming_the_branch() -> None:
    def broken(_: Any) -> str:
        raise RuntimeError("disk full")

    flow = parallel({"ok": sleeper(0, "a"), "broken": broken}, on_failure="fail")
    with pytest.raises(BranchFailed, match="'broken' failed: RuntimeError: disk full"):
        asyncio.run(flow(None, "x"))


def test_partial_merge_gets_the_rest_and_the_gap_is_noted() -> None:
    def broken(_: Any) -> str:
        raise RuntimeError("disk full")

    def merge(sections: Sections) -> str:
        return "+".join(sections.outputs.values()) + f" (missing {sorted(sections.missing)})"

    flow = parallel(
        {"a": lambda _: "A", "b": broken, "c": lambda _: "C"}, merge=merge, on_failure="partial"
    )
    outcome = execute_sync(flow, Run(simulated=SimulatedModel()), "x")
    assert outcome.output == "A+C (missing ['b'])"
    assert [n.kind for n in outcome.notes] == ["failed"]


def test_no_more_than_concurrency_branches_run_at_once() -> None:
    active, peak = 0, 0

    async def branch(run: Any, value: Any) -> int:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        return value

    flow = parallel({str(i): branch for i in range(12)}, concurrency=3)
    out, elapsed = run_virtual(flow(None, 7))
    assert peak == 3
    assert elapsed == pytest.approx(0.04)  # four rounds of three, none waiting on another
    assert list(out.outputs) == [str(i) for i in range(12)]  # branch order, not finish order


def test_branches_run_concurrently_on_the_simulated_model() -> None:
    sim = SimulatedModel(latency_s=0.2)
    answer = sim.complete
    in_flight, peak = 0, 0

    async def counted(req: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await answer(req)
        finally:
            in_flight -= 1

    sim.complete = counted  # type: ignore[method-assign]
    run = Run(simulated=sim)
    flow = parallel({f"s{i}": llm(f"s{i}") for i in range(8)}, merge=llm("merge"))
    _, elapsed = run_virtual(flow(run, "review this"))
    # All eight branch calls are in flight at once, then the merge alone: two latencies.
    assert peak == 8
    assert elapsed == pytest.approx(0.4)
    assert run.summary().calls == 9
