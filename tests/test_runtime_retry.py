"""Retry policy: what is retried, backoff with full jitter, Retry-After honoured and capped."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from virtual_clock import run_virtual

from runtime import Fail, ModelCallError, RetryPolicy, Run, SimulatedModel, Timeout
from runtime.model_calls.errors import SimulatedHTTPError
from runtime.model_calls.retry import is_retryable, retry_after_s

MSG = [{"role": "user", "content": "hi"}]


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def http(status: int, **headers: str) -> SimulatedHTTPError:
    return SimulatedHTTPError(status, "x", headers)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 529])
def test_transient_statuses_are_retried(status: int) -> None:
    assert is_retryable(http(status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not(status: int) -> None:
    assert not is_retryable(http(status))


def test_timeouts_and_connection_errors_are_retried_but_bugs_are_not() -> None:
    assert is_retryable(TimeoutError()) and is_retryable(ConnectionResetError())
    assert not is_retryable(KeyError("x"))


def test_backoff_is_exponential_with_full_jitter_and_a_ceiling() -> None:
    top = RetryPolicy(base_s=0.5, max_s=3.0, rng=lambda: 0.999999)
    assert [round(top.delay(n), 3) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert RetryPolicy(rng=lambda: 0.0).delay(3) == 0.0


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    assert retry_after_s(http(429, **{"Retry-After": "2.5"})) == 2.5
    now = datetime(2025, 1, 1, tzinfo=timezone.utc).timestamp()
    when = format_datetime(datetime(2025, 1, 1, 0, 0, 30, tzinfo=timezone.utc), usegmt=True)
    assert retry_after_s(http(503, **{"retry-after": when}), now=lambda: now) == 30.0
    server_clock = {"retry-after": when, "date": "Wed, 01 Jan 2025 00:00:20 GMT"}
    assert retry_after_s(http(503, **server_clock), now=lambda: 0.0) == 10.0
    assert retry_after_s(http(429, **{"retry-after": "soon"})) is None
    assert retry_after_s(http(429)) is None


def test_retry_after_is_capped() -> None:
    assert RetryPolicy(max_retry_after_s=10).delay(1, retry_after_s=3600) == 10


def _run(script: list[object], sleeps: Sleeps, attempts: int = 4) -> Run:
    policy = RetryPolicy(max_attempts=attempts, base_s=1.0, rng=lambda: 0.5, sleep=sleeps)
    return Run(simulated=SimulatedModel(script={"draft": script}), retry=policy)  # type: ignore[dict-item]


def test_the_run_waits_retry_after_then_backoff() -> None:
    sleeps = Sleeps()
    res = _run([Fail(429, retry_after="7"), Fail(500), Timeout(), "done"], sleeps).call_sync(
        "draft", MSG, max_tokens=10
    )
    assert res.output == "done" and res.attempts == 4
    assert sleeps.waits == [7.0, 1.0, 2.0]  # Retry-After, then rng 0.5 x ceilings 2, 4


def test_attempts_are_bounded() -> None:
    sleeps = Sleeps()
    with pytest.raises(ModelCallError) as info:
        _run([Fail(503)] * 5, sleeps, attempts=3).call_sync("draft", MSG, max_tokens=10)
    assert info.value.attempts == 3 and info.value.status == 503 and len(sleeps.waits) == 2


def test_a_400_is_raised_at_once() -> None:
    sleeps = Sleeps()
    with pytest.raises(ModelCallError, match="HTTP 400"):
        _run([Fail(400), "never"], sleeps).call_sync("draft", MSG, max_tokens=10)
    assert sleeps.waits == []


def test_a_cancelled_call_is_not_retried_and_releases_its_reservation() -> None:
    sim = SimulatedModel(latency_s=5.0)
    run = Run(simulated=sim)

    async def cancel_soon() -> None:
        task = asyncio.create_task(run.call("draft", MSG, max_tokens=10))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    _, elapsed = run_virtual(cancel_soon())
    assert elapsed == pytest.approx(0.01)  # cancelled mid-call, not waited out
    assert run.budget.held.calls == 0 and run.budget.spent.calls == 1
