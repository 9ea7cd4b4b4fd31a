"""Which processes working a batch are alive: each holds a lock for its lifetime.

A killed process (kill -9, a lost machine) drops its lock at once: the operating system closes
its file (SQLite: a lock file beside the store) or PostgreSQL ends its session (an advisory
lock). Another process that can take the lock knows the owner is dead, with no timeout to wait
out, and recovers its work: DBOS re-enqueues its workflows, its budget holds are settled in full.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import uuid
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from .limits import redate_dead_entries, settle_dead_holds
from .store import Store


def new_executor_id() -> str:
    """A name no other process will ever have."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _lock_key(executor_id: str) -> int:
    return int.from_bytes(hashlib.sha256(executor_id.encode()).digest()[:8], "big", signed=True)


class Liveness:
    """This process's lock, and the test of other processes' locks."""

    def __init__(self, store: Store, executor_id: str) -> None:
        self.store = store
        self.executor_id = executor_id
        self._file: IO[bytes] | None = None
        self._conn: sa.Connection | None = None
        self._lock_dir = Path(sa.make_url(store.url).database or ".").with_suffix(".executors")

    def hold(self) -> None:
        """Take this process's lock and register it."""
        if self.store.dialect == "sqlite":
            self._lock_dir.mkdir(parents=True, exist_ok=True)
            self._file = (self._lock_dir / self.executor_id).open("wb")
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            self._conn = self.store.engine.connect()
            self._conn.execute(
                sa.text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key(self.executor_id)}
            )
            self._conn.commit()
        self.store.add_executor(self.executor_id)

    def release(self) -> None:
        """Drop the lock; the next sweep by any process recovers what was left in flight."""
        if self._file is not None:
            self._file.close()
        if self._conn is not None:
            self._conn.close()

    def is_dead(self, executor_id: str) -> bool:
        """Whether a registered process no longer holds its lock."""
        if self.store.dialect == "sqlite":
            path = self._lock_dir / executor_id
            if not path.exists():
                return True
            with path.open("ab") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                return True
        key = {"k": _lock_key(executor_id)}
        with self.store.engine.connect() as conn:
            got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), key).scalar())
            if got:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), key)
            conn.commit()
        return got

    def dead_peers(self) -> list[str]:
        """Registered processes other than this one that are gone."""
        return [e for e in self.store.executors() if e != self.executor_id and self.is_dead(e)]

    def bury(self, executor_id: str, recover: Any) -> None:
        """Recover a dead process's work: `recover([id])` re-enqueues, holds settle in full."""
        recover([executor_id])
        settle_dead_holds(self.store, executor_id)
        redate_dead_entries(self.store, executor_id)
        self.store.drop_executor(executor_id)
        if self.store.dialect == "sqlite":
            (self._lock_dir / executor_id).unlink(missing_ok=True)
