"""The batch's own tables, in the same database as DBOS's queue (SQLite file or PostgreSQL).

Every operation is one short transaction whose effect is atomic across processes: a budget
reservation is a conditional UPDATE, a rate-limit window is serialized by updating its lock
row first (a row lock in PostgreSQL, the write lock in SQLite).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .errors import StoreUnreachable

META = sa.MetaData()
BATCHES = sa.Table(
    "wfadvise_batches",
    META,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("options", sa.Text, nullable=False),
)
RESULTS = sa.Table(
    "wfadvise_results",
    META,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.String(64), nullable=False),
    sa.Column("request_id", sa.Text, nullable=False),
    sa.Column("row", sa.Text, nullable=False),
    sa.UniqueConstraint("batch_id", "request_id"),
)
INPUTS = sa.Table(
    "wfadvise_inputs",
    META,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.Text, primary_key=True),
    # sha256 of what the request was given; stores made before this table have no row (unknown)
    sa.Column("digest", sa.String(64), nullable=False),
)
CALLS = sa.Table(
    "wfadvise_calls",
    META,
    sa.Column("workflow_id", sa.Text, primary_key=True),
    sa.Column("call_key", sa.String(64), primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True),
    sa.Column("raw", sa.Text, nullable=False),
)
LEDGER = sa.Table(
    "wfadvise_ledger",
    META,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("max_usd", sa.Float, nullable=True),
    sa.Column("spent_usd", sa.Float, nullable=False, default=0.0),
    sa.Column("held_usd", sa.Float, nullable=False, default=0.0),
)
HOLDS = sa.Table(
    "wfadvise_holds",
    META,
    sa.Column("hold_id", sa.String(40), primary_key=True),
    sa.Column("batch_id", sa.String(64), nullable=False),
    sa.Column("executor_id", sa.String(128), nullable=False, index=True),
    sa.Column("usd", sa.Float, nullable=False),
)
WINDOWS = sa.Table(
    "wfadvise_windows",
    META,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False, default=0),
)
ENTRIES = sa.Table(
    "wfadvise_window_entries",
    META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),
    # The process whose request holds the entry, until it settles; then NULL.
    sa.Column("executor_id", sa.String(64), nullable=True, index=True),
)
EXECUTORS = sa.Table(
    "wfadvise_executors",
    META,
    sa.Column("executor_id", sa.String(128), primary_key=True),
    sa.Column("started", sa.Float, nullable=False),
)

CONNECT_TIMEOUT_S = 5
"""How long to wait for PostgreSQL before saying it cannot be reached."""


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for a user's database URL (psycopg 3 for PostgreSQL, as DBOS uses)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite store file."""
    return f"sqlite:///{path}"


def is_sqlite(url: str) -> bool:
    """Whether a database URL names a SQLite file."""
    return url.startswith("sqlite")


def describe(url: str) -> str:
    """The database's location without a password, for messages."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unparsable URL)"


SCHEMES = ("sqlite:///", "postgresql://", "postgres://")
"""The database URLs a store accepts (batch's and chat's)."""


def check_reachable(url: str) -> None:
    """Create the database if it is missing; StoreUnreachable (one line) when it cannot be."""
    if not url.startswith(SCHEMES):
        raise StoreUnreachable(
            f"--db {url[:60]!r} is not a database URL: give postgresql://USER@HOST/DB, or drop"
            " --db to use the project's local SQLite store"
        )
    if is_sqlite(url):
        path = sa.make_url(url).database or ""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with _sqlite_engine(url, pooled=False).begin() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        return
    try:
        target = sa.make_url(engine_url(url))
    except sa.exc.ArgumentError as err:
        raise StoreUnreachable(f"--db {url!r} is not a database URL ({err})") from err
    admin = sa.create_engine(
        target.set(database="postgres"),
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    try:
        _create_database(admin, str(target.database))
    except sa.exc.SQLAlchemyError as err:
        cause = getattr(err, "orig", None) or err
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        raise StoreUnreachable(
            f"cannot reach the database at {describe(url)}: {first}; start PostgreSQL there, "
            "or drop --db (and DBOS_SYSTEM_DATABASE_URL) to use the project's local SQLite store"
        ) from err
    finally:
        admin.dispose()


def _create_database(admin: sa.Engine, name: str) -> None:
    """Create the database unless it exists (another process may be creating it right now)."""
    exists = sa.text("SELECT 1 FROM pg_database WHERE datname = :n")
    with admin.connect() as conn:
        if conn.execute(exists, {"n": name}).scalar():
            return
        try:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.DBAPIError:
            if not conn.execute(exists, {"n": name}).scalar():
                raise


def _sqlite_engine(url: str, *, pooled: bool = True) -> sa.Engine:
    engine = sa.create_engine(url) if pooled else sa.create_engine(url, poolclass=sa.pool.NullPool)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # IMMEDIATE: a transaction takes the write lock at BEGIN, so two processes never
        # both read a budget and then both write it.
        dbapi_conn.isolation_level = "IMMEDIATE"
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        # WAL with synchronous=NORMAL: a commit survives a killed process (the case `batch`
        # resumes from) without an fsync each; only an OS crash may lose the last few, whose
        # calls would then be sent again. PostgreSQL is the store for machines that must not.
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return engine


class Store:
    """The batch tables of one database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = (
            _sqlite_engine(url)
            if is_sqlite(url)
            else sa.create_engine(
                engine_url(url),
                connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
            )
        )
        self.dialect = self.engine.dialect.name

    def create_tables(self) -> None:
        """Create the tables if they are missing (safe to race with another process)."""
        try:
            META.create_all(self.engine)
        except sa.exc.IntegrityError:
            META.create_all(self.engine)  # another process created them at the same moment

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction."""
        with self.engine.begin() as conn:
            yield conn

    def insert_ignore(self, conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> int:
        """Insert a row unless its key exists; returns how many rows were inserted."""
        return int(conn.execute(self._insert_ignoring(table).values(**values)).rowcount or 0)

    def _insert_ignoring(self, table: sa.Table) -> Any:
        """An INSERT into `table` that skips rows whose key exists."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing()
        from sqlalchemy.dialects.sqlite import insert as lite_insert

        return lite_insert(table).on_conflict_do_nothing()

    def now(self, conn: sa.Connection) -> float:
        """The database's clock in epoch seconds: one clock for every machine."""
        if self.dialect == "postgresql":
            sql = "SELECT EXTRACT(EPOCH FROM clock_timestamp())"
        else:
            sql = "SELECT (julianday('now') - 2440587.5) * 86400.0"
        return float(conn.execute(sa.text(sql)).scalar_one())

    # Batches and results -------------------------------------------------------------------

    def save_batch(self, batch_id: str, options: dict[str, Any], max_usd: float | None) -> None:
        """Record a batch's options (workers read them) and its dollar budget."""
        text = json.dumps(options, sort_keys=True)
        with self.begin() as conn:
            if not self.insert_ignore(conn, BATCHES, {"batch_id": batch_id, "options": text}):
                conn.execute(
                    BATCHES.update().where(BATCHES.c.batch_id == batch_id).values(options=text)
                )
            new = {"batch_id": batch_id, "max_usd": max_usd, "spent_usd": 0.0, "held_usd": 0.0}
            if not self.insert_ignore(conn, LEDGER, new):
                conn.execute(
                    LEDGER.update().where(LEDGER.c.batch_id == batch_id).values(max_usd=max_usd)
                )

    def batch_options(self, batch_id: str) -> dict[str, Any]:
        """The options a batch was started with."""
        with self.begin() as conn:
            text = conn.execute(
                sa.select(BATCHES.c.options).where(BATCHES.c.batch_id == batch_id)
            ).scalar_one()
        options: dict[str, Any] = json.loads(text)
        return options

    def save_result(self, batch_id: str, request_id: str, row: dict[str, Any]) -> None:
        """Record a finished request's row (a replayed request's second save is ignored)."""
        values = {
            "batch_id": batch_id,
            "request_id": request_id,
            "row": json.dumps(row, default=str),
        }
        with self.begin() as conn:
            self.insert_ignore(conn, RESULTS, values)

    def save_inputs(
        self, batch_id: str, digests: dict[str, str], conn: sa.Connection | None = None
    ) -> None:
        """Record what each request id was given (a digest), in `conn`'s transaction if given;
        an id already recorded keeps its first digest."""
        if not digests:
            return
        if conn is None:
            with self.begin() as own:
                self.save_inputs(batch_id, digests, own)
            return
        rows = [{"batch_id": batch_id, "request_id": r, "digest": d} for r, d in digests.items()]
        conn.execute(self._insert_ignoring(INPUTS), rows)

    def input_digests(self, batch_id: str) -> dict[str, str]:
        """What each request id of a batch was given, for those recorded."""
        query = sa.select(INPUTS.c.request_id, INPUTS.c.digest).where(INPUTS.c.batch_id == batch_id)
        with self.begin() as conn:
            return {str(r): str(d) for r, d in conn.execute(query)}

    def results_after(
        self, batch_id: str, seq: int, limit: int = 2000
    ) -> list[tuple[int, dict[str, Any]]]:
        """Rows recorded after `seq`, oldest first."""
        query = (
            sa.select(RESULTS.c.seq, RESULTS.c.row)
            .where(RESULTS.c.batch_id == batch_id, RESULTS.c.seq > seq)
            .order_by(RESULTS.c.seq)
            .limit(limit)
        )
        with self.begin() as conn:
            return [(int(s), json.loads(r)) for s, r in conn.execute(query)]

    def result_ids(self, batch_id: str) -> set[str]:
        """Ids of the requests of a batch that have a row."""
        query = sa.select(RESULTS.c.request_id).where(RESULTS.c.batch_id == batch_id)
        with self.begin() as conn:
            return {str(r) for (r,) in conn.execute(query)}

    # The call journal ---------------------------------------------------------------------

    def recorded_call(self, workflow_id: str, key: str, slot: int) -> str | None:
        """A finished call's recorded reply, if there is one."""
        query = sa.select(CALLS.c.raw).where(
            CALLS.c.workflow_id == workflow_id, CALLS.c.call_key == key, CALLS.c.slot == slot
        )
        with self.begin() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return None if found is None else str(found)

    def record_call(self, workflow_id: str, key: str, slot: int, raw: str) -> None:
        """Record a finished call's reply before anything uses it."""
        values = {"workflow_id": workflow_id, "call_key": key, "slot": slot, "raw": raw}
        with self.begin() as conn:
            self.insert_ignore(conn, CALLS, values)

    def recorded_calls(self, prefix: str) -> int:
        """How many calls of workflows whose id starts with `prefix` are recorded."""
        query = sa.select(sa.func.count()).where(CALLS.c.workflow_id.startswith(prefix))
        with self.begin() as conn:
            return int(conn.execute(query).scalar_one())

    # Executors ----------------------------------------------------------------------------

    def add_executor(self, executor_id: str) -> None:
        """Register a live process."""
        with self.begin() as conn:
            self.insert_ignore(
                conn, EXECUTORS, {"executor_id": executor_id, "started": time.time()}
            )

    def executors(self) -> list[str]:
        """Every registered process, live or dead."""
        with self.begin() as conn:
            return [str(e) for (e,) in conn.execute(sa.select(EXECUTORS.c.executor_id))]

    def drop_executor(self, executor_id: str) -> None:
        """Forget a process (after its work was recovered)."""
        with self.begin() as conn:
            conn.execute(EXECUTORS.delete().where(EXECUTORS.c.executor_id == executor_id))
