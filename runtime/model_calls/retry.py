"""Retries: which failures are worth another attempt, and how long to wait before it."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# 408 timeout, 409 conflict (OpenAI's "try again"), 425 too early, 429 rate limit.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Bounded retries with exponential backoff, full jitter, and Retry-After honoured."""

    max_attempts: int = 3
    """Attempts per call, the first included."""
    base_s: float = 0.5
    """Backoff ceiling for the first retry; doubles each retry."""
    max_s: float = 20.0
    """Largest backoff ceiling."""
    max_retry_after_s: float = 60.0
    """Longest Retry-After the runtime will wait out."""
    rng: Callable[[], float] = field(default=random.random, compare=False)
    """Uniform [0, 1) source for the jitter (inject a fixed one in tests)."""
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    """Async sleep (inject a recorder in tests)."""
    now: Callable[[], float] = field(default=time.time, compare=False)
    """Wall clock, for Retry-After given as an HTTP date."""

    def delay(self, retry_number: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait before retry number `retry_number` (1 = the first retry)."""
        if retry_after_s is not None:
            return max(0.0, min(retry_after_s, self.max_retry_after_s))
        ceiling = min(self.max_s, self.base_s * 2.0 ** (retry_number - 1))
        return self.rng() * ceiling


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries (litellm, openai and simulated errors), if any."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def is_retryable(exc: BaseException) -> bool:
    """429, 408, 409, 5xx, timeouts and connection errors; never other 4xx."""
    status = status_of(exc)
    if status is not None:
        return status in RETRYABLE_STATUS or status >= 500
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError, ConnectionError)):
        return True
    name = type(exc).__name__
    return "Timeout" in name or "Connection" in name


def response_headers(exc: BaseException) -> Mapping[str, str]:
    """Response headers of a failed call, lower-cased keys.

    litellm attaches the provider's headers as `litellm_response_headers` (see
    litellm_core_utils/exception_mapping_utils.py) and keeps them on `exc.response.headers`;
    its `exc.headers` holds only proxy-supplied ones.
    """
    for source in (
        getattr(exc, "litellm_response_headers", None),
        _safe_response_headers(exc),
        getattr(exc, "headers", None),
    ):
        if source:
            return {str(k).lower(): str(v) for k, v in dict(source).items()}
    return {}


def _safe_response_headers(exc: BaseException) -> Any:
    try:
        return getattr(getattr(exc, "response", None), "headers", None)
    except Exception:  # some SDK errors raise when asked for a response they never had
        return None


def retry_after_s(exc: BaseException, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked us to wait (Retry-After in seconds or as an HTTP date)."""
    headers = response_headers(exc)
    if "retry-after-ms" in headers:
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = _http_date(value)
    if when is None:
        return None
    # Measured against the server's own Date header when there is one: clocks differ.
    sent = _http_date(headers.get("date", ""))
    return max(0.0, when - (sent if sent is not None else now()))


def _http_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
