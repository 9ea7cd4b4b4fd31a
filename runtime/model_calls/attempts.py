"""One model call's attempts: reserve the bound, send to the backend (retrying), settle at the
provider's count, trace every attempt. The mixin Run is built on."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

from ..errors import BudgetOverrun, ModelCallError, StoppedError
from .bounds import base_url
from .budget import Budget, Reservation
from .calltypes import UNSETTLED_KEY
from .completion import CallRequest, RawCompletion, Usage
from .errors import FormatRefused
from .failures import describe, is_timeout
from .prices import Price, PriceBook
from .retry import RetryPolicy, is_retryable, retry_after_s
from .simulated import SimulatedModel
from .structured import REFUSED_KEY, Traits, Wire, refused_format
from .trace import Trace

T = TypeVar("T")
log = logging.getLogger("wfadvise.runtime")


class Attempts:
    """Reservation, sending, retries, settlement and tracing for Run (see models.py)."""

    budget: Budget
    simulated: SimulatedModel | None
    trace: Trace | None
    prices: PriceBook
    retry: RetryPolicy
    api_base: str | None
    _api_key: str | None
    litellm_kwargs: dict[str, Any]
    _lock: threading.Lock
    _prompt_tokens: int
    _completion_tokens: int
    _stopped_by: str | None

    def _price(self, model: str) -> Price | None:
        if self.budget.limits.max_usd is not None:
            return self.prices.require(model)
        return self.prices.price(model)

    async def _attempts(
        self, req: CallRequest, price: Price | None, prompt: int, wire: Wire, seen: Traits
    ) -> tuple[RawCompletion, int, float]:
        kind = wire.format_kind
        first = await self._wait_for_probe(seen, kind)
        answered = False
        try:
            result = await self._send_attempts(req, price, prompt, wire, seen)
            answered = True
            return result
        finally:
            if first:
                seen.probed(kind, answered=answered)

    async def _wait_for_probe(self, seen: Traits, kind: str) -> bool:
        """Whether this call probes `kind` for the process (it is the first to send it); a call
        whose format was refused since it was planned (another call's probe, which it may have
        waited for) is planned again without sending it."""
        if self.simulated is not None:
            return False  # the simulated model answers every format
        while True:
            first, pending = seen.probe(kind)
            if kind in seen.refused:  # refusals are never forgotten: checked after the probe
                if first:
                    seen.probed(kind, answered=False)
                raise FormatRefused()  # planned again without it, never sent
            if pending is None:
                return first
            await asyncio.to_thread(pending.wait)

    async def _send_attempts(
        self, req: CallRequest, price: Price | None, prompt: int, wire: Wire, seen: Traits
    ) -> tuple[RawCompletion, int, float]:
        attempt = 0
        send = self._backend(req)
        while True:
            attempt += 1
            held = self._reserve(prompt, req.max_tokens, price)
            start = time.perf_counter()
            try:
                raw = await _with_timeout(send(req), req.timeout_s)
            except BaseException as exc:
                latency = time.perf_counter() - start
                refused = (
                    isinstance(exc, Exception)
                    and req.response_schema is not None
                    and refused_format(exc, wire.format_kind)
                )
                self._settle_failure(req, held, exc, attempt, latency, refused=refused)
                if not isinstance(exc, Exception):
                    raise  # cancelled: a parallel branch was stopped; never retried
                if refused:
                    seen.refused.add(wire.format_kind)
                    log.warning("%s: %s refused %s", req.step, req.model, wire.format_kind)
                    raise FormatRefused() from exc
                if not is_retryable(exc) or attempt >= self.retry.max_attempts:
                    status, text = describe(
                        exc, timeout_s=req.timeout_s, base_url=base_url(self.api_base)
                    )
                    raise ModelCallError(
                        req.step, req.model, text, status=status, attempts=attempt
                    ) from exc
                wait = self.retry.delay(attempt, retry_after_s(exc, self.retry.now))
                await self.retry.sleep(wait)
                continue
            latency = time.perf_counter() - start
            raw = self._settle_success(req, held, raw, price, latency, attempt)
            return raw, attempt, latency

    def _reserve(self, prompt: int, max_tokens: int, price: Price | None) -> Reservation:
        worst_usd = 0.0 if price is None else price.cost(prompt, max_tokens)
        try:
            return self.budget.reserve(tokens=prompt + max_tokens, usd=worst_usd)
        except StoppedError as exc:
            self.note_stop(exc)
            raise

    def _backend(
        self, req: CallRequest
    ) -> Callable[[CallRequest], Coroutine[Any, Any, RawCompletion]]:
        """The send function for a request's model; a client is made (and its SDK imported)
        here, before any attempt's deadline starts."""
        if self.simulated is not None:
            return self.simulated.complete
        # A real call: only now are the backends imported (an offline run never loads them).
        from .openai_backend import client_for, openai_complete, speaks_openai

        if speaks_openai(req.model, self.api_base) and not self.litellm_kwargs:
            try:
                client = client_for(self.api_base, self._api_key)
            except Exception as exc:  # openai refuses to build a client without a key
                hint = "set OPENAI_API_KEY (or an api_base for a local server), or run with --mock"
                raise ModelCallError(
                    req.step, req.model, f"{exc}; {hint}", status=None, attempts=0
                ) from exc
            return functools.partial(openai_complete, client=client)
        return self._send

    async def _send(self, req: CallRequest) -> RawCompletion:
        """One attempt through litellm (the providers only litellm speaks)."""
        from .litellm_backend import litellm_complete

        return await litellm_complete(
            req, api_base=self.api_base, api_key=self._api_key, extra=self.litellm_kwargs
        )

    def _settle_success(
        self,
        req: CallRequest,
        held: Reservation,
        raw: RawCompletion,
        price: Price | None,
        latency: float,
        attempt: int,
    ) -> RawCompletion:
        """Settle at the provider's count; at the reservation when it gave none; stop on an
        overrun (the provider counted more than the bound reserved)."""
        usage, notes = raw.usage, {}
        if usage.total_tokens <= 0:
            usage = Usage(held.amount.tokens - req.max_tokens, req.max_tokens)
            notes["usage"] = "missing from the reply; settled at the reservation"
        cost = None if price is None else price.cost(*_counts(usage))
        over = usage.total_tokens > held.amount.tokens or (
            cost is not None and cost > held.amount.usd * (1 + 1e-9) + 1e-12
        )
        if notes and cost is not None:
            cost = max(cost, held.amount.usd)
        self.budget.settle(held, tokens=usage.total_tokens, usd=cost or 0.0)
        self._add_tokens(usage.prompt_tokens, usage.completion_tokens)
        if over:
            notes["overrun"] = (
                f"the provider counted {usage.total_tokens} tokens, "
                f"{held.amount.tokens} were reserved"
            )
        self._record(req, usage, cost, latency, attempt, None, notes)
        lim = self.budget.limits
        if over and (lim.max_tokens is not None or lim.max_usd is not None):
            stop = BudgetOverrun(req.step, usage.total_tokens, held.amount.tokens)
            self.note_stop(stop)
            raise stop
        return dataclasses.replace(raw, usage=usage)

    def _settle_failure(
        self,
        req: CallRequest,
        held: Reservation,
        exc: BaseException,
        attempt: int,
        latency: float,
        *,
        refused: bool = False,
    ) -> None:
        if refused:
            # The server refused the response format before any model work: a probe of what
            # it accepts, sent again at once in another format. Counted as a call, it took the
            # place max_calls keeps for a designed call (a cascade's strong model, a chat's
            # summary) on every server that refuses json_schema (llama.cpp's).
            self.budget.release(held)
            usage, cost = Usage(), 0.0
        elif _maybe_billed(exc):
            self.budget.settle_worst(held)
            usage = Usage(held.amount.tokens - req.max_tokens, req.max_tokens)
            cost = held.amount.usd
        else:
            self.budget.settle(held, tokens=0, usd=0.0)
            usage, cost = Usage(), 0.0
        self._add_tokens(usage.prompt_tokens, usage.completion_tokens)
        if isinstance(exc, Exception):
            error = describe(exc, timeout_s=req.timeout_s, base_url=base_url(self.api_base))[1]
        else:
            error = type(exc).__name__
        # A refusal says so on its line: the format it refused (a trace reader counts no call).
        notes = {REFUSED_KEY: str((req.response_format or {}).get("type"))} if refused else {}
        if not refused and _maybe_billed(exc):  # no count came: the figures are the bound
            notes[UNSETTLED_KEY] = "timed out" if isinstance(exc, Exception) else "cancelled"
        self._record(req, usage, cost, latency, attempt, error, notes)

    def _add_tokens(self, prompt: int, completion: int) -> None:
        with self._lock:
            self._prompt_tokens += prompt
            self._completion_tokens += completion

    def _record(
        self,
        req: CallRequest,
        usage: Usage,
        cost: float | None,
        latency: float,
        attempt: int,
        error: str | None,
        notes: Mapping[str, str],
    ) -> None:
        if self.trace is None:
            return
        line: dict[str, Any] = {
            "step": req.step,
            "model": req.model,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cost_usd": None if cost is None else round(cost, 8),
            "latency_s": round(latency, 4),
            "attempt": attempt,
            "ok": error is None,
            "simulated": self.simulated is not None,
        }
        if usage.reasoning_tokens:
            line["reasoning_tokens"] = usage.reasoning_tokens
        if req.response_format is not None:
            line["response_format"] = req.response_format.get("type")
        if error is not None:
            line["error"] = error[:500]
        line.update(notes)
        self.trace.write(line)

    def note_stop(self, exc: StoppedError) -> None:
        """Remember the first limit or cap that stopped the run (the summary's `stopped_by`)."""
        with self._lock:
            if self._stopped_by is None:
                self._stopped_by = exc.reason


async def _with_timeout(work: Coroutine[Any, Any, T], seconds: float) -> T:
    """Await with a deadline; asyncio.timeout (3.11+) spares wait_for's extra task per call."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await work
    return await asyncio.wait_for(work, seconds)


def _maybe_billed(exc: BaseException) -> bool:
    """Timeouts and cancellations: the provider may have run (and billed) the whole call."""
    return not isinstance(exc, Exception) or is_timeout(exc)


def _counts(usage: Usage) -> tuple[int, int, int]:
    return usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens
