"""Budgets: worst case reserved before every call, actual settled after, never overshot."""

from __future__ import annotations

import asyncio
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import (
    Budget,
    BudgetExceeded,
    Fail,
    Limits,
    Price,
    PriceBook,
    RetryPolicy,
    Run,
    SimulatedModel,
)
from runtime.model_calls.budget import Spend

MSG = [{"role": "user", "content": "Summarise the customer's complaint in one line."}]


def test_reservation_that_does_not_fit_is_refused_with_the_limit_and_value() -> None:
    budget = Budget(Limits(max_usd=0.05))
    budget.reserve(tokens=10, usd=0.04)
    with pytest.raises(BudgetExceeded) as info:
        budget.reserve(tokens=10, usd=0.021)
    assert info.value.reason == "max_usd=0.05 (would reach 0.061)"
    assert (info.value.limit, info.value.value) == ("max_usd", 0.05)
    assert info.value.would_reach == pytest.approx(0.061)
    assert budget.held.usd == pytest.approx(0.04)  # the refused one holds nothing


def test_settling_releases_the_worst_case_and_books_the_actual() -> None:
    budget = Budget(Limits(max_tokens=100))
    held = budget.reserve(tokens=90, usd=0.0)
    budget.settle(held, tokens=30, usd=0.0)
    assert budget.spent == Spend(calls=1, tokens=30, usd=0.0)
    assert budget.held == Spend()
    budget.reserve(tokens=70, usd=0.0)  # fits again after settling
    with pytest.raises(RuntimeError):
        budget.settle(held, tokens=1, usd=0.0)


def test_calls_cap_counts_every_attempt() -> None:
    sim = SimulatedModel(script={"draft": [Fail(500), Fail(500), "ok"]})
    run = Run(simulated=sim, limits=Limits(max_calls=2))
    with pytest.raises(BudgetExceeded, match=r"max_calls=2 \(would reach 3\)"):
        run.call_sync("draft", MSG, max_tokens=20)
    assert run.summary().calls == 2
    assert run.summary().stopped_by == "max_calls=2 (would reach 3)"


def test_none_means_no_limit() -> None:
    budget = Budget(Limits())
    for _ in range(100):
        budget.reserve(tokens=10**9, usd=10**6)


def test_threads_cannot_overshoot_together() -> None:
    budget = Budget(Limits(max_calls=50, max_usd=1.0))
    refused = []

    def worker() -> None:
        for _ in range(20):
            try:
                held = budget.reserve(tokens=1, usd=0.01)
            except BudgetExceeded:
                refused.append(1)
                continue
            budget.settle(held, tokens=1, usd=0.01)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert budget.spent.calls == 50 and len(refused) == 8 * 20 - 50


def _run(limits: Limits, seed: int) -> Run:
    sim = SimulatedModel(seed=seed, text_tokens=40)
    return Run(
        models="openai/gpt-4o-mini",
        simulated=sim,
        limits=limits,
        prices=PriceBook({"openai/gpt-4o-mini": Price(0.15, 0.6)}),
    )


@settings(max_examples=40, deadline=None)
@given(
    max_usd=st.one_of(st.none(), st.floats(min_value=1e-6, max_value=2e-4)),
    max_calls=st.one_of(st.none(), st.integers(min_value=1, max_value=40)),
    max_tokens=st.one_of(st.none(), st.integers(min_value=50, max_value=4000)),
    n=st.integers(min_value=1, max_value=40),
    cap=st.integers(min_value=1, max_value=120),
    seed=st.integers(min_value=0, max_value=3),
)
def test_concurrent_calls_never_exceed_any_limit(
    max_usd: float | None,
    max_calls: int | None,
    max_tokens: int | None,
    n: int,
    cap: int,
    seed: int,
) -> None:
    run = _run(Limits(max_usd=max_usd, max_calls=max_calls, max_tokens=max_tokens), seed)

    async def one() -> bool:
        try:
            await run.call("draft", MSG, max_tokens=cap)
        except BudgetExceeded:
            return False
        return True

    async def all_at_once() -> list[bool]:
        return await asyncio.gather(*(one() for _ in range(n)))

    done = asyncio.run(all_at_once())
    spent = run.budget.spent
    assert max_calls is None or spent.calls <= max_calls
    assert max_tokens is None or spent.tokens <= max_tokens
    assert max_usd is None or spent.usd <= max_usd * (1 + 1e-9)
    assert spent.calls == sum(done)  # every refused call was never sent
    assert run.budget.held == Spend()
    if max_usd is None and max_calls is None and max_tokens is None:
        assert all(done)


@settings(max_examples=25, deadline=None)
@given(
    failures=st.lists(st.sampled_from([429, 500, 503]), max_size=3),
    max_calls=st.integers(min_value=1, max_value=6),
)
def test_retried_attempts_count_against_the_budget(failures: list[int], max_calls: int) -> None:
    sim = SimulatedModel(script={"draft": [*(Fail(s, retry_after="0") for s in failures), "ok"]})
    run = Run(simulated=sim, limits=Limits(max_calls=max_calls), retry=RetryPolicy(max_attempts=9))
    try:
        res = run.call_sync("draft", MSG, max_tokens=10)
        assert res.attempts == len(failures) + 1 <= max_calls
    except BudgetExceeded:
        assert len(failures) + 1 > max_calls
    assert run.budget.spent.calls == min(len(failures) + 1, max_calls)


def test_a_schema_sent_as_response_format_is_reserved_for() -> None:
    from pydantic import BaseModel, Field

    from runtime import Run, SimulatedModel
    from runtime.model_calls.budget import with_margin
    from runtime.model_calls.tokens import count_messages

    class Report(BaseModel):
        findings: list[str] = Field(description="Every finding, one sentence each. " * 20)
        severity: int = Field(description="How bad, from 1 to 5. " * 20)

    msg = [{"role": "user", "content": "Review this."}]
    # gpt-4o-mini takes the schema as response_format, outside the messages; a budget that
    # only fits the messages must refuse the call, since the provider bills the schema too.
    only_messages = with_margin(count_messages(msg)) + 100
    run = Run(
        models="openai/gpt-4o-mini",
        simulated=SimulatedModel(seed=1),
        limits=Limits(max_tokens=only_messages),
    )
    with pytest.raises(BudgetExceeded):
        run.call_sync("review", msg, response_model=Report, max_tokens=100)
    assert run.summary().calls == 0
