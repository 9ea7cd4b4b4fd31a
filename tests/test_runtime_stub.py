"""Runtime calls through litellm's real HTTP path, against the loopback stub server."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from pydantic import BaseModel
from stub_server import STUB_MODEL, StubServer

from runtime import (
    Limits,
    ModelCallError,
    OutputValidationError,
    Price,
    PriceBook,
    RetryPolicy,
    Run,
)
from runtime.model_calls.retry import retry_after_s


def stub_run(stub: StubServer, **kw: object) -> Run:
    return Run(models=STUB_MODEL, api_base=stub.base_url, api_key="test", **kw)  # type: ignore[arg-type]


MSG = [{"role": "user", "content": "hi"}]


def test_usage_is_read_from_the_response(stub: StubServer) -> None:
    stub.reply("hello there", prompt_tokens=21, completion_tokens=4)
    run = stub_run(stub, prices=PriceBook({STUB_MODEL: Price(1.0, 2.0)}))
    res = run.call_sync("draft", MSG, max_tokens=50)
    assert res.output == "hello there"
    assert (res.usage.prompt_tokens, res.usage.completion_tokens) == (21, 4)
    assert res.cost_usd == pytest.approx((21 * 1.0 + 4 * 2.0) / 1e6)
    sent = stub.requests[0]
    assert sent.body["max_tokens"] == 50
    assert sent.headers["authorization"] == "Bearer test"


def test_the_openai_sdk_exposes_retry_after_on_its_exception(stub: StubServer) -> None:
    # openai's APIStatusError keeps the httpx response; runtime.model_calls.retry reads its headers.
    stub.error(429, "slow down", headers={"Retry-After": "7"})
    run = stub_run(stub, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(ModelCallError) as info:
        run.call_sync("draft", MSG, max_tokens=20)
    cause = info.value.__cause__
    assert cause is not None and type(cause).__module__.startswith("openai")
    assert retry_after_s(cause) == 7.0
    assert info.value.status == 429
    assert "HTTP 429: slow down" in str(info.value)


class Sleeps:
    """An injected sleep: records each wait, returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_429_retry_after_is_waited_out(stub: StubServer) -> None:
    stub.error(429, headers={"Retry-After": "7"})
    stub.reply("ok")
    sleeps = Sleeps()
    run = stub_run(stub, retry=RetryPolicy(max_attempts=3, base_s=0.0, sleep=sleeps))
    res = run.call_sync("draft", MSG, max_tokens=20)
    assert res.output == "ok" and res.attempts == 2
    assert sleeps.waits == [7.0] and len(stub.requests) == 2


def test_retry_after_as_http_date_is_waited_out(stub: StubServer) -> None:
    sleeps = Sleeps()
    run = stub_run(stub, retry=RetryPolicy(max_attempts=2, base_s=0.0, sleep=sleeps))
    stub.reply("warm-up")  # the first call imports litellm, which takes seconds
    run.call_sync("draft", MSG, max_tokens=20)
    stub.reset()
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    stub.error(503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    stub.reply("ok")
    assert run.call_sync("draft", MSG, max_tokens=20).output == "ok"
    (waited,) = sleeps.waits
    assert 29.0 <= waited <= 30.0  # HTTP dates have whole-second resolution


def test_500_then_success_counts_both_attempts(stub: StubServer) -> None:
    stub.error(500, "boom")
    stub.reply("fine", prompt_tokens=8, completion_tokens=2)
    run = stub_run(stub, retry=RetryPolicy(max_attempts=3, base_s=0.0), limits=Limits(max_calls=5))
    res = run.call_sync("draft", MSG, max_tokens=20)
    assert (res.output, res.attempts) == ("fine", 2)
    assert run.summary().calls == 2


@pytest.mark.parametrize("status", [400, 401, 404])
def test_client_errors_are_never_retried(stub: StubServer, status: int) -> None:
    stub.error(status, "bad request")
    stub.reply("never reached")
    run = stub_run(stub, retry=RetryPolicy(max_attempts=4, base_s=0.0))
    with pytest.raises(ModelCallError) as info:
        run.call_sync("draft", MSG, max_tokens=20)
    assert info.value.status == status and info.value.attempts == 1
    assert len(stub.requests) == 1 and stub.pending == 1


def test_a_slow_reply_times_out_and_is_retried(stub: StubServer) -> None:
    stub.slow(3.0)
    stub.reply("quick")
    run = stub_run(stub, retry=RetryPolicy(max_attempts=2, base_s=0.0), timeout_s=0.5)
    res = run.call_sync("draft", MSG, max_tokens=20)
    assert res.output == "quick" and res.attempts == 2
    assert len(stub.requests) == 2  # the slow reply was abandoned, not waited for


def test_timeouts_out_of_attempts_fail_with_the_step_named(stub: StubServer) -> None:
    stub.slow(2.0)
    run = stub_run(stub, retry=RetryPolicy(max_attempts=1), timeout_s=0.3)
    with pytest.raises(ModelCallError, match="'draft'"):
        run.call_sync("draft", MSG, max_tokens=20)


class Verdict(BaseModel):
    label: str
    score: int


def test_structured_output_is_requested_and_validated(stub: StubServer) -> None:
    stub.reply('```json\n{"label": "spam", "score": 3}\n```')
    res = stub_run(stub).call_sync("judge", MSG, response_model=Verdict, max_tokens=50)
    assert res.output == Verdict(label="spam", score=3)
    body = stub.requests[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["label", "score"]


def test_invalid_structured_output_carries_raw_text_and_summary(stub: StubServer) -> None:
    stub.reply('{"label": "spam", "score": "lots"}')
    with pytest.raises(OutputValidationError) as info:
        stub_run(stub).call_sync("judge", MSG, response_model=Verdict, max_tokens=50)
    assert info.value.raw == '{"label": "spam", "score": "lots"}'
    assert "score" in info.value.summary


def test_tool_calls_come_back_with_arguments(stub: StubServer) -> None:
    stub.tool_calls([("search", {"q": "cats"}), ("read_file", {"path": "a.txt"})])
    tools = [
        {
            "type": "function",
            "function": {
                "name": "search",
                "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            },
        }
    ]
    res = stub_run(stub).call_sync("agent", MSG, max_tokens=50, tools=tools)
    assert [c.name for c in res.tool_calls] == ["search", "read_file"]
    assert res.tool_calls[0].arguments_json == '{"q": "cats"}'
    assert stub.requests[0].body["tools"][0]["function"]["name"] == "search"


def test_a_call_over_budget_is_never_sent(stub: StubServer) -> None:
    stub.reply("unsent")
    run = stub_run(stub, limits=Limits(max_tokens=30))
    from runtime import BudgetExceeded

    with pytest.raises(BudgetExceeded, match="max_tokens=30"):
        run.call_sync("draft", MSG, max_tokens=100)
    assert stub.requests == []


def test_concurrent_calls_share_the_server(stub: StubServer) -> None:
    for i in range(6):
        stub.reply(f"r{i}")
    run = stub_run(stub)

    async def many() -> list[str]:
        got = await asyncio.gather(*(run.call("d", MSG, max_tokens=10) for _ in range(6)))
        return sorted(r.output for r in got)

    assert asyncio.run(many()) == [f"r{i}" for i in range(6)]


def test_a_provider_counting_more_prompt_tokens_cannot_push_a_run_over_max_tokens(
    stub: StubServer,
) -> None:
    from runtime import BudgetExceeded
    from runtime.model_calls.tokens import count_messages

    # Another provider's tokenizer sees 12% more prompt tokens than our o200k count.
    long_msg = [{"role": "user", "content": "Summarise the quarterly report. " * 40}]
    ours = count_messages(long_msg)
    theirs = round(ours * 1.12)
    for _ in range(5):
        stub.reply("x", prompt_tokens=theirs, completion_tokens=50)
    # Room for two real calls plus exactly one more reservation at our own count.
    limit = 2 * (theirs + 50) + ours + 50
    run = stub_run(stub, limits=Limits(max_tokens=limit))
    with pytest.raises(BudgetExceeded):
        for _ in range(5):
            run.call_sync("draft", long_msg, max_tokens=50)
    spent = run.summary()
    assert spent.prompt_tokens + spent.completion_tokens <= limit
