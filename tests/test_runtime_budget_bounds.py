"""Budgets are bounds whatever the provider counts: other tokenizers, no usage, overruns."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stub_server import STUB_MODEL, StubServer, digits_apart, times_1_6

from runtime import BudgetExceeded, Limits, Price, PriceBook, Run, StoppedError
from runtime.combinators import execute_sync, llm
from runtime.errors import BudgetOverrun
from runtime.model_calls.bounds import byte_bound, tokenizer_known

PRICE = Price(input_per_mtok=2.0, output_per_mtok=8.0)


def no_usage(text: str) -> int:
    """Counted like times_1_6 (for the bill) but never reported."""
    return times_1_6(text)


COUNTERS: dict[str, Callable[[str], int]] = {
    "1.6x": times_1_6,
    "digits apart": digits_apart,
    "no usage": no_usage,
}


def stub_run(stub: StubServer, limits: Limits, **kw: object) -> Run:
    return Run(
        models=STUB_MODEL,
        api_base=stub.base_url,
        api_key="test",
        limits=limits,
        prices=PriceBook({STUB_MODEL: PRICE}),
        **kw,  # type: ignore[arg-type]
    )


def spend_until_stopped(run: Run, text: str, calls: int, max_tokens: int) -> None:
    """Call until a limit stops the run (or `calls` calls were made)."""
    for _ in range(calls):
        try:
            run.call_sync("draft", [{"role": "user", "content": text}], max_tokens=max_tokens)
        except StoppedError:
            return


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    counter=st.sampled_from(sorted(COUNTERS)),
    text=st.text(alphabet="0123456789 ,.abcdefghijklmnop€é\n", min_size=1, max_size=600),
    max_tokens=st.integers(20, 200),
    limit=st.sampled_from(["max_tokens", "max_usd", "max_calls"]),
    size=st.integers(1, 3),
)
def test_the_providers_own_counts_never_pass_a_limit(
    stub: StubServer, counter: str, text: str, max_tokens: int, limit: str, size: int
) -> None:
    stub.reset()
    stub.tokenizer = COUNTERS[counter]
    stub.no_usage = counter == "no usage"
    stub.default = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "4 2 7 " * 60}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    one_call = byte_bound([{"role": "user", "content": text}]) + max_tokens
    limits = {
        "max_tokens": Limits(max_tokens=one_call * size),
        "max_usd": Limits(max_usd=PRICE.cost(one_call * size, 0) + 1e-9),
        "max_calls": Limits(max_calls=size),
    }[limit]
    run = stub_run(stub, limits)
    spend_until_stopped(run, text, 3 * size + 3, max_tokens)
    billed = stub.served_tokens  # what the provider counted, reported or not
    assert limits.max_tokens is None or billed <= limits.max_tokens
    assert limits.max_calls is None or len(stub.requests) <= limits.max_calls
    if limits.max_usd is not None:
        bill = sum(PRICE.cost(p, c) for p, c in stub.served)
        assert bill <= limits.max_usd * (1 + 1e-9)
    assert run.summary().prompt_tokens + run.summary().completion_tokens >= billed


def test_digits_counted_one_per_token_cannot_push_a_run_over_max_tokens(stub: StubServer) -> None:
    # Gemma's tokenizer counted 38% more than o200k on an input full of numbers; the o200k
    # count plus 15% let --max-tokens be exceeded by a third.
    stub.tokenizer = digits_apart
    stub.default = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok " * 40}}],
    }
    text = "Order 48213 shipped 2024-03-17, 19 boxes at 112.50 each; " * 30
    run = stub_run(stub, Limits(max_tokens=6000))
    spend_until_stopped(run, text, 20, 100)
    assert 0 < stub.served_tokens <= 6000


def test_missing_usage_settles_at_the_reservation_never_at_zero(
    stub: StubServer, tmp_path: Path
) -> None:
    # A provider omitting usage made a $0.006 cap bill $0.0324, the trace saying 0 tokens.
    stub.no_usage = True
    stub.tokenizer = times_1_6
    stub.default = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}}]}
    msgs = [{"role": "user", "content": "Summarise this report " * 20}]
    one = PRICE.cost(byte_bound(msgs), 100)
    run = stub_run(stub, Limits(max_usd=2.5 * one), trace=tmp_path / "t.jsonl")
    with pytest.raises(BudgetExceeded, match="max_usd"):
        for _ in range(5):
            run.call_sync("draft", msgs, max_tokens=100)
    run.close()
    assert len(stub.requests) == 2
    assert run.summary().cost_usd == pytest.approx(2 * one)
    lines = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert lines[0]["usage"].startswith("missing") and lines[0]["prompt_tokens"] > 0


def test_a_count_above_the_reservation_stops_the_run_naming_the_providers_count(
    stub: StubServer, tmp_path: Path
) -> None:
    stub.tokenizer = lambda text: 3 * len(text)  # no byte-level tokenizer counts like this
    stub.reply("fine")
    stub.reply("never sent")
    trace = tmp_path / "t.jsonl"
    run = stub_run(stub, Limits(max_tokens=100_000), trace=trace)
    flow = llm("draft", "Write about {input}", max_tokens=20)
    with run:
        outcome = execute_sync(flow, run, "budgets " * 50)
    assert outcome.exit_code == 3
    counted = stub.served_tokens
    assert outcome.stopped_by is not None and f"counted {counted} tokens" in outcome.stopped_by
    first = json.loads(trace.read_text().splitlines()[0])
    assert first["overrun"].startswith(f"the provider counted {counted} tokens")
    assert len(stub.requests) == 1
    with pytest.raises(BudgetOverrun):
        raise BudgetOverrun("x", 2, 1)


def test_the_tokenizer_is_known_only_for_openais_own_models_on_openais_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert tokenizer_known("openai/gpt-4o-mini", None)
    assert not tokenizer_known("openai/gpt-4o-mini", "http://127.0.0.1:8089/v1")
    assert not tokenizer_known("anthropic/claude-3-5-haiku-latest", None)
    assert not tokenizer_known("openai/gemma-3-270m", None)
    monkeypatch.setenv("OPENAI_API_BASE", "http://127.0.0.1:8089/v1")
    assert not tokenizer_known("openai/gpt-4o-mini", None)
