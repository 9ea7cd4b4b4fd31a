"""`batch` and `worker`: enqueue a file of requests, work the queue, write OUT.jsonl.

The batch's identity is the project and the OUT.jsonl path: running the same command again
finds its requests in the store, enqueues only those never queued, and writes only the rows
not yet in OUT.jsonl, so every request appears there exactly once.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..combinators.approval_names import unknown_approvals
from ..model_calls.prices import PriceBook
from .errors import VolumeUsageError
from .inputs import Malformed, Request, RowWriter, read_requests, written_rows
from .progress import Progress, Tally
from .project import Project
from .store import Store, check_reachable, describe, sqlite_url

DB_ENV = "DBOS_SYSTEM_DATABASE_URL"
"""The environment variable that names the shared database when --db is not given."""
POLL_S = 0.2
"""How often `batch` collects finished rows."""
SWEEP_S = 2.0
"""How often a process checks for dead peers whose work it should recover."""
SHOWN_IDS = 3
"""Ids a refusal of changed inputs names before it says how many more."""


@dataclass(frozen=True, kw_only=True)
class BatchOptions:
    """`batch`'s flags; those workers need too are stored with the batch."""

    input: Path
    """INPUT.jsonl."""
    out: Path
    """OUT.jsonl."""
    concurrency: int = 8
    """Requests in flight at once, across every process."""
    rpm: int | None = None
    """Model requests per period (a minute) across every process."""
    tpm: int | None = None
    """Tokens per period (a minute) across every process."""
    max_usd: float | None = None
    """Dollars the whole batch may spend."""
    db: str | None = None
    """Database URL; None for DBOS_SYSTEM_DATABASE_URL or the project's SQLite file."""
    mock: bool = False
    """Use the simulated model."""
    mock_latency: float = 0.0
    """Seconds per simulated call."""
    model: str | None = None
    """One litellm model string for every step."""
    period_s: float = 60.0
    """Seconds the --rpm and --tpm limits count over (some providers state them per second)."""
    approve: tuple[str, ...] = ()
    """Tools under `approval` let run (`--approve TOOL`); a batch has no terminal to ask on,
    so any other such tool is refused with a tool reply."""

    def shared(self) -> dict[str, Any]:
        """The options every process running this batch's requests must agree on."""
        keep = ("rpm", "tpm", "mock", "mock_latency", "model", "period_s", "approve")
        return {k: v for k, v in asdict(self).items() if k in keep}


def database_url(project: Project, db: str | None) -> str:
    """--db, else DBOS_SYSTEM_DATABASE_URL, else the SQLite file inside the project."""
    return db or os.environ.get(DB_ENV) or sqlite_url(project.default_store)


def batch_id_for(project: Project, out: Path) -> str:
    """A batch is named by its project and its OUT.jsonl."""
    return hashlib.sha256(f"{project.name}\0{out.resolve()}".encode()).hexdigest()[:16]


def check_options(project: Project, opts: BatchOptions) -> None:
    """Refuse bad numbers, a missing key, or a budget on an unpriced model (exit 2)."""
    for name in ("concurrency", "rpm", "tpm"):
        value = getattr(opts, name)
        if value is not None and value < 1:
            raise VolumeUsageError(f"--{name} must be >= 1, got {value}")
    if opts.max_usd is not None and not (math.isfinite(opts.max_usd) and opts.max_usd > 0):
        raise VolumeUsageError(f"--max-usd must be a positive number, got {opts.max_usd}")
    if not (math.isfinite(opts.mock_latency) and opts.mock_latency >= 0):
        raise VolumeUsageError("--mock-latency must be >= 0")
    if not (math.isfinite(opts.period_s) and opts.period_s > 0):
        raise VolumeUsageError(
            f"--rate-window must be a positive number of seconds, got {opts.period_s}"
        )
    settings = project.load_settings()
    unknown = unknown_approvals(settings.plan, opts.approve)
    if unknown:
        raise VolumeUsageError(unknown)
    models = (
        [opts.model] if opts.model else [settings.models.default, *settings.models.steps.values()]
    )
    if not opts.mock:
        project.require_key(models, settings.models.api_base)
    if opts.max_usd is not None:
        for model in models:
            PriceBook(settings.prices).require(model)


def run_batch(project: Project, opts: BatchOptions) -> int:
    """Run (or resume) a batch to the end; returns the exit code."""
    requests, malformed = read_requests(opts.input)
    check_options(project, opts)
    url = database_url(project, opts.db)
    check_reachable(url)
    batch_id = batch_id_for(project, opts.out)
    store = Store(url)
    try:
        store.create_tables()
        refuse_changed_inputs(store.input_digests(batch_id), [*requests, *malformed], opts.input)
        written = written_rows(opts.out)
        fresh = [m for m in malformed if m.id not in written]
        store.save_inputs(batch_id, {m.id: m.digest for m in fresh})
    finally:
        store.close()
    tally = Tally(total=len(requests) + len(malformed))
    for rid, code in written.items():
        tally.add(rid, code)
    writer = RowWriter(opts.out)
    try:
        for m in fresh:
            print(
                f"{opts.input}: line {m.line}: {m.problem}; written as a failed row",
                file=sys.stderr,
            )
        writer.write([m.row() for m in fresh])
        for m in fresh:
            tally.add(m.id, m.row()["exit"])
        todo = [r for r in requests if r.id not in written]
        if todo:
            _work(project, opts, url, batch_id, todo, writer, tally)
        else:
            tally.spent_usd = _spent_so_far(url, batch_id)
    finally:
        writer.close()
    print(f"batch: {tally.line()} -> {opts.out}", file=sys.stderr)
    return tally.exit_code()


def refuse_changed_inputs(
    recorded: dict[str, str], lines: list[Request | Malformed], input_path: Path
) -> None:
    """VolumeUsageError (one line) when an id this batch already took was given another input:
    resuming would hand back the answer to the old one. An id with no digest recorded (a store
    made before digests were kept) is not refused."""
    changed = [x.id for x in lines if recorded.get(x.id, x.digest) != x.digest]
    if not changed:
        return
    shown = ", ".join(repr(rid) for rid in changed[:SHOWN_IDS])
    more = f" and {len(changed) - SHOWN_IDS} more" if len(changed) > SHOWN_IDS else ""
    if len(changed) == 1:
        what = f"id {shown} was already run with a different input in this store; give it a new id"
    else:
        what = (
            f"ids {shown}{more} were already run with different inputs in this store; "
            "give them new ids"
        )
    # A new --db alone would not do: the rows already in OUT.jsonl are never written again.
    raise VolumeUsageError(f"{input_path}: {what}, or use a new --out file to start over")


def _work(
    project: Project,
    opts: BatchOptions,
    url: str,
    batch_id: str,
    todo: list[Request],
    writer: RowWriter,
    tally: Tally,
) -> None:
    from . import engine
    from .limits import Ledger
    from .liveness import new_executor_id

    host = engine.start(project, url, new_executor_id())
    progress = Progress(tally)
    try:
        host.store.save_batch(batch_id, opts.shared(), opts.max_usd)
        engine.open_queue(opts.concurrency, opts.rpm, opts.period_s)
        engine.enqueue(host, url, batch_id, todo)
        ledger = Ledger(host.store, batch_id, host.executor_id)
        _collect(host, batch_id, {r.id for r in todo}, writer, tally, progress, ledger)
    finally:
        progress.close()
        engine.stop(host)


def _collect(
    host: Any,
    batch_id: str,
    wanted: set[str],
    writer: RowWriter,
    tally: Tally,
    progress: Progress,
    ledger: Any,
) -> None:
    """Write rows as requests finish, until every wanted one has its row."""
    store: Store = host.store
    seq, last_sweep = 0, time.monotonic()
    while wanted:
        rows = store.results_after(batch_id, seq)
        if rows:
            seq = rows[-1][0]
        fresh = [row for _, row in rows if row["id"] in wanted]
        writer.write(fresh)
        for row in fresh:
            wanted.discard(row["id"])
            tally.add(row["id"], row["exit"])
        tally.spent_usd = ledger.spent().spent_usd
        progress.update()
        if time.monotonic() - last_sweep > SWEEP_S:
            host.sweep()
            last_sweep = time.monotonic()
        if wanted and not rows:
            time.sleep(POLL_S)


def _spent_so_far(url: str, batch_id: str) -> float:
    """What an earlier run of this batch spent (0 when it never ran a request)."""
    from .limits import Ledger

    store = Store(url)
    try:
        store.create_tables()
        return Ledger(store, batch_id, "").spent().spent_usd
    except LookupError:
        return 0.0
    finally:
        store.close()


def run_worker(project: Project, db: str | None) -> int:
    """Work the queue of a shared database until interrupted."""
    from . import engine
    from .liveness import new_executor_id

    url = db or os.environ.get(DB_ENV)
    if not url:
        raise VolumeUsageError(
            "worker needs the batch's database: pass --db postgresql://USER@HOST/DB "
            f"(or set {DB_ENV}), the same one `batch --db` was given"
        )
    check_reachable(url)
    host = engine.start(project, url, new_executor_id())
    print(f"worker {host.executor_id}: working {describe(url)}; Ctrl-C to stop", file=sys.stderr)
    try:
        while True:
            time.sleep(SWEEP_S)
            host.sweep()
    except KeyboardInterrupt:
        print("worker stopped; its unfinished requests go back to the queue", file=sys.stderr)
    finally:
        engine.stop(host)
    return 0
