"""The whole-batch dollar budget and the rate-limit windows, held in the shared database.

Both are the runtime's reserve-then-settle made durable and shared: a call reserves its worst
case before it is sent and settles the actual after, and every process working the batch sees
the same ledger, so the budget and the limits hold across all of them.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import BudgetExceeded
from .store import ENTRIES, HOLDS, LEDGER, WINDOWS, Store

USD_TOLERANCE = 1e-9
"""Relative slack so float rounding never refuses a call that fits exactly (as in Budget)."""


@dataclass(frozen=True)
class Spent:
    """A batch's dollars: settled and currently reserved."""

    spent_usd: float
    """Dollars settled (calls that finished, or may have been billed)."""
    held_usd: float
    """Dollars reserved by calls in flight."""


class Ledger:
    """A batch's dollar budget in the database: spent + held never passes max_usd."""

    def __init__(self, store: Store, batch_id: str, executor_id: str) -> None:
        self.store = store
        self.batch_id = batch_id
        self.executor_id = executor_id

    def reserve(self, usd: float) -> str:
        """Hold `usd`, or raise BudgetExceeded holding nothing; returns the hold's id."""
        hold = uuid.uuid4().hex
        lg = LEDGER.c
        with self.store.begin() as conn:
            fits = sa.or_(
                lg.max_usd.is_(None),
                lg.spent_usd + lg.held_usd + usd <= lg.max_usd * (1 + USD_TOLERANCE),
            )
            done = conn.execute(
                LEDGER.update()
                .where(lg.batch_id == self.batch_id, fits)
                .values(held_usd=lg.held_usd + usd)
            )
            if not done.rowcount:
                row = conn.execute(sa.select(LEDGER).where(lg.batch_id == self.batch_id)).one()
                would = round(row.spent_usd + row.held_usd + usd, 6)
                raise BudgetExceeded("batch max_usd", float(row.max_usd), would)
            conn.execute(
                HOLDS.insert().values(
                    hold_id=hold, batch_id=self.batch_id, executor_id=self.executor_id, usd=usd
                )
            )
        return hold

    def settle(self, hold: str, usd: float) -> None:
        """Release a hold and record what the call actually cost."""
        with self.store.begin() as conn:
            held = conn.execute(sa.select(HOLDS.c.usd).where(HOLDS.c.hold_id == hold)).scalar()
            conn.execute(HOLDS.delete().where(HOLDS.c.hold_id == hold))
            lg = LEDGER.c
            conn.execute(
                LEDGER.update()
                .where(lg.batch_id == self.batch_id)
                .values(held_usd=lg.held_usd - (held or 0.0), spent_usd=lg.spent_usd + usd)
            )

    def spent(self) -> Spent:
        """What the batch has spent and holds now."""
        with self.store.begin() as conn:
            row = conn.execute(sa.select(LEDGER).where(LEDGER.c.batch_id == self.batch_id)).first()
        if row is None:
            raise LookupError(f"no ledger for batch {self.batch_id}")
        return Spent(float(row.spent_usd), max(0.0, float(row.held_usd)))


def settle_dead_holds(store: Store, executor_id: str) -> int:
    """Settle a dead process's holds at their full amount (its calls may have been billed)."""
    with store.begin() as conn:
        rows = conn.execute(
            sa.select(HOLDS.c.hold_id, HOLDS.c.batch_id, HOLDS.c.usd).where(
                HOLDS.c.executor_id == executor_id
            )
        ).all()
        settled = 0
        for hold, batch, usd in rows:
            # Delete first: of two processes burying the same peer, only one settles a hold.
            if not conn.execute(HOLDS.delete().where(HOLDS.c.hold_id == hold)).rowcount:
                continue
            lg = LEDGER.c
            conn.execute(
                LEDGER.update()
                .where(lg.batch_id == batch)
                .values(held_usd=lg.held_usd - usd, spent_usd=lg.spent_usd + usd)
            )
            settled += 1
    return settled


@dataclass(frozen=True)
class Window:
    """A rate limit: at most `limit` units in any `period_s` seconds."""

    name: str
    """Row name in the database, e.g. `BATCH:rpm`."""
    limit: int
    """Units (requests or tokens) allowed per period."""
    period_s: float = 60.0
    """Length of the sliding window."""


class RateLimiter:
    """Sliding-window limits shared through the database (requests and tokens per minute)."""

    def __init__(
        self,
        store: Store,
        windows: list[Window],
        sleep_max_s: float = 5.0,
        executor_id: str | None = None,
    ) -> None:
        self.store = store
        self.windows = windows
        self.sleep_max_s = sleep_max_s
        # This process: its unsettled entries are re-dated if it dies (redate_dead_entries).
        self.executor_id = executor_id
        with store.begin() as conn:
            for w in windows:
                store.insert_ignore(conn, WINDOWS, {"name": w.name, "version": 0})

    async def acquire(self, amounts: dict[str, int]) -> dict[str, int]:
        """Wait until every window has room, take it; returns the entry ids per window."""
        taken: dict[str, int] = {}
        for w in self.windows:
            amount = amounts.get(w.name, 0)
            while True:
                entry, wait = await asyncio.to_thread(self._try, w, amount)
                if entry is not None:
                    taken[w.name] = entry
                    break
                await asyncio.sleep(min(max(wait, 0.01), self.sleep_max_s))
        return taken

    def _try(self, w: Window, amount: int) -> tuple[int | None, float]:
        """One attempt: (entry id, 0) when it fits, else (None, seconds until it may)."""
        with self.store.begin() as conn:
            conn.execute(
                WINDOWS.update()
                .where(WINDOWS.c.name == w.name)
                .values(version=WINDOWS.c.version + 1)
            )  # the lock: every taker of this window queues here
            now = self.store.now(conn)
            mine = ENTRIES.c.name == w.name
            conn.execute(ENTRIES.delete().where(mine, ENTRIES.c.at <= now - w.period_s))
            rows = conn.execute(
                sa.select(ENTRIES.c.at, ENTRIES.c.amount).where(mine).order_by(ENTRIES.c.at)
            ).all()
            used = sum(a for _, a in rows)
            # One call larger than the whole limit still runs once the window is empty.
            if used + amount <= w.limit or not rows:
                new = conn.execute(
                    ENTRIES.insert().values(
                        name=w.name, at=now, amount=amount, executor_id=self.executor_id
                    )
                )
                key = new.inserted_primary_key
                assert key is not None
                return int(key[0]), 0.0
            need, freed = used + amount - w.limit, 0
            for at, a in rows:
                freed += a
                if freed >= need:
                    return None, at + w.period_s - now
            return None, w.period_s

    def settle(self, entries: dict[str, int], amounts: dict[str, int]) -> None:
        """Date the entries to now, when the request is over, and replace reserved amounts by
        actual ones (tokens a call really used). Dated at the end, an entry covers the
        request's whole trip to the server, so the server never sees more than the limit in
        any window however long a request took to reach it."""
        with self.store.begin() as conn:
            now = self.store.now(conn)
            for name, entry in entries.items():
                values: dict[str, float | None] = {"at": now, "executor_id": None}
                if name in amounts:
                    values["amount"] = amounts[name]
                conn.execute(ENTRIES.update().where(ENTRIES.c.id == entry).values(**values))


def redate_dead_entries(store: Store, executor_id: str) -> int:
    """Date a dead process's unsettled window entries to now.

    Its requests in flight may have reached the server at any moment up to its death, so their
    entries, still dated at admission, could free a slot too early; dated at the burial, which
    comes after the death, they cover every such arrival.
    """
    with store.begin() as conn:
        now = store.now(conn)
        done = conn.execute(
            ENTRIES.update()
            .where(ENTRIES.c.executor_id == executor_id)
            .values(at=now, executor_id=None)
        )
    return int(done.rowcount or 0)
