"""Durable model calls: a finished call is journaled and a recovered request replays it.

A call is keyed by what it sends (step path, model, messages, limits, schema), the lineage of
the task sending it (see lineage.py) and the how-many-th such call of that task it is (its
slot). Keys by content and task, not by position in the workflow: parallel branches finish in
any order, and a replay must hand every branch its own reply.

The hooks into the runtime are narrow: a Budget subclass (the batch's ledger reserves beside
the per-request budget), Run's per-call `_attempts` (journal lookup) and the send function
its `_backend` picks (replay, or rate limits then send then journal).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ..model_calls.budget import Budget, Limits, Reservation
from ..model_calls.completion import CallRequest, RawCompletion, ToolCall, Usage
from ..model_calls.models import Run
from .limits import Ledger, RateLimiter, Window
from .lineage import lineage
from .store import Store


@dataclass
class _Call:
    """The call in progress in this task (a context variable, so branches never mix)."""

    key: str
    """Content key of the request."""
    slot: int
    """Which of the identical calls of this workflow it is."""
    replay: RawCompletion | None
    """The journaled reply, when this call finished before."""
    reserved_tokens: int = 0
    """Tokens the current attempt reserved (what the tokens-per-minute window takes)."""


_CURRENT: ContextVar[_Call | None] = ContextVar("wfadvise_durable_call", default=None)


def call_key(req: CallRequest) -> str:
    """A digest of everything a request sends, and of the task sending it."""
    doc = {
        "task": lineage(),
        "step": req.step,
        "model": req.model,
        "messages": req.messages,
        "max_tokens": req.max_tokens,
        "temperature": req.temperature,
        "tools": req.tools,
        "schema": req.response_schema,
    }
    text = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def encode(raw: RawCompletion) -> str:
    """A reply as journal text."""
    u = raw.usage
    return json.dumps(
        {
            "text": raw.text,
            "usage": [u.prompt_tokens, u.completion_tokens, u.reasoning_tokens],
            "tool_calls": [[t.id, t.name, t.arguments_json] for t in raw.tool_calls],
        }
    )


def decode(text: str) -> RawCompletion:
    """A reply from journal text."""
    doc = json.loads(text)
    calls = [ToolCall(i, n, a) for i, n, a in doc["tool_calls"]]
    return RawCompletion(doc["text"], Usage(*doc["usage"]), calls)


@dataclass
class Journal:
    """One request's journal: slots per call key, and the store that keeps the replies."""

    store: Store
    """Where replies are kept."""
    workflow_id: str
    """The request's DBOS workflow id."""
    _next: dict[str, int] = field(default_factory=dict)
    _free: dict[str, set[int]] = field(default_factory=dict)

    def claim(self, key: str) -> int:
        """The lowest slot of `key` not in use (a failed call gives its slot back)."""
        free = self._free.get(key)
        if free:
            slot = min(free)
            free.discard(slot)
            return slot
        slot = self._next.get(key, 0)
        self._next[key] = slot + 1
        return slot

    def release(self, key: str, slot: int) -> None:
        """Give back the slot of a call that did not finish."""
        self._free.setdefault(key, set()).add(slot)

    def recorded(self, key: str, slot: int) -> RawCompletion | None:
        """The reply journaled for this slot, if any."""
        text = self.store.recorded_call(self.workflow_id, key, slot)
        return None if text is None else decode(text)

    def record(self, key: str, slot: int, raw: RawCompletion) -> None:
        """Journal a reply."""
        self.store.record_call(self.workflow_id, key, slot, encode(raw))


class SharedBudget(Budget):
    """The per-request budget, plus the batch's ledger for every call actually sent."""

    def __init__(self, limits: Limits, ledger: Ledger | None) -> None:
        super().__init__(limits)
        self.ledger = ledger
        self._holds: dict[int, str] = {}

    def reserve(self, *, tokens: int, usd: float, calls: int = 1) -> Reservation:
        """Reserve in the batch ledger (unless the call replays), then per request."""
        call = _CURRENT.get()
        hold = None
        if self.ledger is not None and call is not None and call.replay is None:
            hold = self.ledger.reserve(usd)  # BudgetExceeded: nothing held anywhere
        try:
            held = super().reserve(tokens=tokens, usd=usd, calls=calls)
        except BaseException:
            if hold is not None:
                self.ledger.settle(hold, 0.0)  # type: ignore[union-attr]
            raise
        if hold is not None:
            self._holds[held.id] = hold
        if call is not None:
            call.reserved_tokens = tokens
        return held

    def settle(self, held: Reservation, *, tokens: int, usd: float) -> None:
        """Settle per request and in the batch ledger."""
        super().settle(held, tokens=tokens, usd=usd)
        self._settle_hold(held, usd)

    def release(self, held: Reservation) -> None:
        """Give a reservation back unused, in the batch ledger too (nothing spent)."""
        super().release(held)
        self._settle_hold(held, 0.0)

    def _settle_hold(self, held: Reservation, usd: float) -> None:
        hold = self._holds.pop(held.id, None)
        if hold is not None and self.ledger is not None:
            self.ledger.settle(hold, usd)


@dataclass(frozen=True)
class Sharing:
    """What the requests of one batch share through the database."""

    ledger: Ledger | None
    """The whole-batch dollar budget."""
    limiter: RateLimiter | None
    """Requests- and tokens-per-minute windows."""
    rpm: Window | None = None
    """The requests window, if limited."""
    tpm: Window | None = None
    """The tokens window, if limited."""


class DurableRun(Run):
    """A Run whose calls are journaled, limited and charged to the batch."""

    journal: Journal
    sharing: Sharing
    replayed: int

    def make_durable(self, journal: Journal, sharing: Sharing) -> DurableRun:
        """Attach the journal and the shared ledger and limits (after `from_settings`)."""
        self.journal = journal
        self.sharing = sharing
        self.replayed = 0
        self.budget = SharedBudget(self.budget.limits, sharing.ledger)
        return self

    async def _attempts(
        self, req: CallRequest, *args: Any, **kwargs: Any
    ) -> tuple[RawCompletion, int, float]:
        """One logical call: look its slot up in the journal, then attempt (or replay) it."""
        key = call_key(req)
        slot = self.journal.claim(key)
        try:
            replay = await asyncio.to_thread(self.journal.recorded, key, slot)
            token = _CURRENT.set(_Call(key, slot, replay))
            try:
                result: tuple[RawCompletion, int, float] = await super()._attempts(
                    req, *args, **kwargs
                )
                return result
            finally:
                _CURRENT.reset(token)
        except BaseException:
            self.journal.release(key, slot)
            raise

    def _backend(
        self, req: CallRequest
    ) -> Callable[[CallRequest], Coroutine[Any, Any, RawCompletion]]:
        """The runtime's send function, wrapped: replay, or wait for the limits, send, journal."""
        send = super()._backend(req)

        async def durable_send(sent: CallRequest) -> RawCompletion:
            call = _CURRENT.get()
            if call is None:
                return await send(sent)
            if call.replay is not None:
                self.replayed += 1
                return call.replay
            sharing = self.sharing
            amounts = _amounts(sharing, call.reserved_tokens)
            if sharing.limiter is None:
                raw = await send(sent)
            else:
                entries = await sharing.limiter.acquire(amounts)
                actual: dict[str, int] = {}
                try:
                    raw = await send(sent)
                    if sharing.tpm is not None:
                        actual[sharing.tpm.name] = raw.usage.total_tokens
                finally:
                    await asyncio.to_thread(sharing.limiter.settle, entries, actual)
            await asyncio.to_thread(self.journal.record, call.key, call.slot, raw)
            return raw

        return durable_send


def _amounts(sharing: Sharing, tokens: int) -> dict[str, int]:
    amounts: dict[str, int] = {}
    if sharing.rpm is not None:
        amounts[sharing.rpm.name] = 1
    if sharing.tpm is not None:
        amounts[sharing.tpm.name] = tokens
    return amounts
