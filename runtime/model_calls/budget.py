"""Per-run budgets: reserve a call's worst case before sending it, settle the actual after."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from ..errors import BudgetExceeded

PROMPT_MARGIN = 0.15
"""Share added to counted prompt tokens when reserving a call. Providers' tokenizers
(Anthropic's, Gemini's) count more than OpenAI's o200k for the same text; a reservation that
came up short would let the settled usage overshoot a limit."""


def with_margin(prompt_tokens: float) -> int:
    """Prompt tokens to reserve for `prompt_tokens` counted ones."""
    return math.ceil(prompt_tokens + prompt_tokens * PROMPT_MARGIN)


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Hard per-run budgets; None means no limit."""

    max_tokens: int | None = None
    """Prompt plus completion tokens the run may use."""
    max_usd: float | None = None
    """US dollars the run may spend."""
    max_calls: int | None = None
    """Model calls the run may make (every attempt counts)."""


@dataclass
class Spend:
    """Calls, tokens and dollars, spent or reserved."""

    calls: int = 0
    """Model call attempts."""
    tokens: int = 0
    """Prompt plus completion tokens."""
    usd: float = 0.0
    """US dollars."""

    def add(self, other: Spend, sign: int = 1) -> None:
        """Add (or with sign=-1, subtract) another amount in place."""
        self.calls += sign * other.calls
        self.tokens += sign * other.tokens
        self.usd += sign * other.usd


@dataclass(frozen=True)
class Reservation:
    """A worst case held in the budget until the call settles."""

    amount: Spend
    """What was held."""
    id: int = field(default=0)
    """Serial number, for settling exactly once."""


class Budget:
    """Thread-safe budget ledger: spent + held never goes past a limit."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._spent = Spend()
        self._held = Spend()
        self._open: set[int] = set()
        self._next_id = 0

    def reserve(self, *, tokens: int, usd: float, calls: int = 1) -> Reservation:
        """Hold a call's worst case, or raise BudgetExceeded without holding anything."""
        want = Spend(calls=calls, tokens=tokens, usd=usd)
        with self._lock:
            self._check(want)
            self._held.add(want)
            self._next_id += 1
            self._open.add(self._next_id)
            return Reservation(want, self._next_id)

    def _check(self, want: Spend) -> None:
        lim = self.limits
        used = self._spent.calls + self._held.calls + want.calls
        if lim.max_calls is not None and used > lim.max_calls:
            raise BudgetExceeded("max_calls", lim.max_calls, used)
        tokens = self._spent.tokens + self._held.tokens + want.tokens
        if lim.max_tokens is not None and tokens > lim.max_tokens:
            raise BudgetExceeded("max_tokens", lim.max_tokens, tokens)
        usd = self._spent.usd + self._held.usd + want.usd
        # A tiny tolerance keeps float rounding from refusing a call that fits exactly.
        if lim.max_usd is not None and usd > lim.max_usd * (1 + 1e-9):
            raise BudgetExceeded("max_usd", lim.max_usd, round(usd, 6))

    def settle(self, held: Reservation, *, tokens: int, usd: float) -> None:
        """Release a reservation and record what the call actually used (the call counts)."""
        with self._lock:
            self._close(held)
            self._spent.add(Spend(calls=held.amount.calls, tokens=tokens, usd=usd))

    def release(self, held: Reservation) -> None:
        """Give a reservation back unused: nothing is spent (a call slot kept for later)."""
        with self._lock:
            self._close(held)

    def _close(self, held: Reservation) -> None:
        """Take a reservation off the held total (under the lock); each closes once."""
        if held.id not in self._open:
            raise RuntimeError("reservation settled twice")
        self._open.discard(held.id)
        self._held.add(held.amount, sign=-1)
        if not self._open:
            self._held = Spend()  # drop float drift left by adds and subtracts

    def settle_worst(self, held: Reservation) -> None:
        """Settle at the full reservation (a timed-out call may have been billed in full)."""
        self.settle(held, tokens=held.amount.tokens, usd=held.amount.usd)

    @property
    def spent(self) -> Spend:
        """A copy of what has been spent so far."""
        with self._lock:
            return Spend(self._spent.calls, self._spent.tokens, self._spent.usd)

    @property
    def held(self) -> Spend:
        """A copy of what is currently reserved by calls in flight."""
        with self._lock:
            return Spend(self._held.calls, self._held.tokens, self._held.usd)
