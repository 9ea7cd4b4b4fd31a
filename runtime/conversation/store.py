"""Sessions in a database: the project's SQLite file by default, or the PostgreSQL `batch
--db` uses. The connection (URL forms, SQLite pragmas, creating a missing PostgreSQL
database, one-line errors) is the batch store's (`volume/store.py`); the tables are these.

A turn is recorded in one transaction: its text, the new state and summary, and what it spent
added to the session's totals (an atomic increment, so processes sharing a session never lose
each other's spending: the session budget holds across them).
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy as sa

from ..volume.store import SCHEMES, Store, check_reachable
from .errors import ChatUsageError
from .state import ConversationState, Session, Turn

META = sa.MetaData()
SESSIONS = sa.Table(
    "wfadvise_chat_sessions",
    META,
    sa.Column("project", sa.String(128), primary_key=True),
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("memory", sa.Text, nullable=False),
    sa.Column("spent_usd", sa.Float, nullable=False, default=0.0),
    sa.Column("calls", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Float, nullable=False),
)
TURNS = sa.Table(
    "wfadvise_chat_turns",
    META,
    sa.Column("project", sa.String(128), primary_key=True),
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("user_text", sa.Text, nullable=False),
    sa.Column("reply_text", sa.Text, nullable=False),
)


def check_url(url: str) -> str:
    """A database URL the store can open, or ChatUsageError naming the way out."""
    if not url.startswith(SCHEMES):
        raise ChatUsageError(
            f"--db {url[:60]!r} is not a database URL: give postgresql://USER@HOST/DB, or drop "
            "--db to keep sessions in the project's SQLite file"
        )
    return url


class SessionStore:
    """The chat sessions of one project in one database."""

    def __init__(self, url: str, project: str) -> None:
        check_reachable(check_url(url))  # StoreUnreachable (one line, exit 2) when it cannot be
        self.project = project
        self.db = Store(url)
        try:
            META.create_all(self.db.engine)
        except sa.exc.IntegrityError:
            META.create_all(self.db.engine)  # another process created them at the same moment

    def close(self) -> None:
        """Release the connections."""
        self.db.close()

    def load(self, session_id: str) -> Session | None:
        """A stored session with every turn, or None."""
        key = self._key(SESSIONS, session_id)
        with self.db.begin() as conn:
            row = conn.execute(
                sa.select(SESSIONS.c.memory, SESSIONS.c.spent_usd, SESSIONS.c.calls).where(key)
            ).one_or_none()
            if row is None:
                return None
            turns = conn.execute(
                sa.select(TURNS.c.user_text, TURNS.c.reply_text)
                .where(self._key(TURNS, session_id))
                .order_by(TURNS.c.n)
            ).all()
        memory: dict[str, Any] = json.loads(row.memory)
        return Session(
            session_id=session_id,
            state=ConversationState.model_validate(memory.get("state") or {}),
            summary=str(memory.get("summary") or ""),
            summarized_through=int(memory.get("summarized_through") or 0),
            turns=[Turn(user=u, reply=r) for u, r in turns],
            spent_usd=float(row.spent_usd),
            calls=int(row.calls),
        )

    def open(self, session_id: str) -> Session:
        """The stored session, or a new empty one stored under this id."""
        values = {
            "project": self.project,
            "session_id": session_id,
            "memory": _memory(Session(session_id=session_id)),
            "spent_usd": 0.0,
            "calls": 0,
            "updated": time.time(),
        }
        with self.db.begin() as conn:
            self.db.insert_ignore(conn, SESSIONS, values)
        found = self.load(session_id)
        assert found is not None  # just inserted, or there already
        return found

    def record_turn(self, session: Session, turn: Turn | None, usd: float, calls: int) -> None:
        """Store a finished turn (None: a turn that spent but has no reply) with the session's
        new memory, and add what it spent to the session's totals."""
        with self.db.begin() as conn:
            if turn is not None:
                # The next number in the store, not this process's count: another process may
                # have added a turn to the same session meanwhile (both are kept).
                last = conn.execute(
                    sa.select(sa.func.max(TURNS.c.n)).where(self._key(TURNS, session.session_id))
                ).scalar()
                conn.execute(
                    TURNS.insert().values(
                        project=self.project,
                        session_id=session.session_id,
                        n=int(last or 0) + 1,
                        user_text=turn.user,
                        reply_text=turn.reply,
                    )
                )
            conn.execute(
                SESSIONS.update()
                .where(self._key(SESSIONS, session.session_id))
                .values(
                    memory=_memory(session),
                    spent_usd=SESSIONS.c.spent_usd + usd,
                    calls=SESSIONS.c.calls + calls,
                    updated=time.time(),
                )
            )

    def reset(self, session_id: str) -> bool:
        """Forget a session's turns, state and summary (its spending stays counted against the
        session budget); False when there is no such session."""
        fresh = _memory(Session(session_id=session_id))
        with self.db.begin() as conn:
            done = conn.execute(
                SESSIONS.update()
                .where(self._key(SESSIONS, session_id))
                .values(memory=fresh, updated=time.time())
            )
            conn.execute(TURNS.delete().where(self._key(TURNS, session_id)))
        return bool(done.rowcount)

    def _key(self, table: sa.Table, session_id: str) -> Any:
        return sa.and_(table.c.project == self.project, table.c.session_id == session_id)


def _memory(session: Session) -> str:
    """The session's memory column: its state, summary and how far the summary reaches."""
    return json.dumps(
        {
            "state": session.state.model_dump(mode="json"),
            "summary": session.summary,
            "summarized_through": session.summarized_through,
        }
    )
