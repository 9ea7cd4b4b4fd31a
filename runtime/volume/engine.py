"""DBOS: every request a durable workflow on one queue, worked by `batch` and any `worker`.

DBOS keeps the queue (global concurrency, a requests-per-period limiter), the workflows' state,
and re-enqueues a dead process's workflows; the call journal, the budget and the token window
live beside it in the same database (see store.py). Imported only by `batch` and `worker`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dbos import DBOS, DBOSClient, DBOSConfig

from ..combinators.execute import execute
from ..errors import WorkflowError
from ..model_calls.simulated import SimulatedModel
from .durable import DurableRun, Journal, Sharing
from .inputs import EXIT_FAILURE, Request, make_row
from .limits import Ledger, RateLimiter, Window
from .lineage import enter_request
from .liveness import Liveness
from .project import Project
from .store import Store

APP_VERSION = "wfadvise-batch-1"
"""One version for every process of every batch, so any worker may run any request."""
QUEUE = "wfadvise_requests"
WORKFLOW = "wfadvise_request"
QUEUE_POLL_S = 0.1
"""How often each process looks for queued requests (a short wait keeps slots busy)."""
ENQUEUE_CHUNK = 500
"""Requests enqueued per transaction."""


@dataclass(frozen=True)
class BatchContext:
    """What one process needs to run the requests of one batch."""

    flow: Any
    """The project's workflow, built from settings.json."""
    make_run: Any
    """A new DurableRun for a request (per-request caps from settings)."""
    sharing: Sharing
    """The batch's ledger and rate-limit windows."""


class Host:
    """This process's part in every batch: runs requests handed to it by DBOS."""

    def __init__(self, project: Project, store: Store, executor_id: str) -> None:
        self.project = project
        self.store = store
        self.executor_id = executor_id
        self.liveness = Liveness(store, executor_id)
        self._contexts: dict[str, BatchContext] = {}
        self._lock = threading.Lock()

    def context(self, batch_id: str) -> BatchContext:
        """The batch's context, built on first use from the options `batch` stored."""
        with self._lock:
            if batch_id not in self._contexts:
                self._contexts[batch_id] = self._build(batch_id)
            return self._contexts[batch_id]

    def _build(self, batch_id: str) -> BatchContext:
        opts = self.store.batch_options(batch_id)
        settings = self.project.load_settings()
        script = self.project.mock_script(settings) if opts["mock"] else {}
        windows = [
            Window(f"{batch_id}:{unit}", opts[unit], opts["period_s"])
            for unit in ("rpm", "tpm")
            if opts.get(unit)
        ]
        by_name = {w.name.rsplit(":", 1)[1]: w for w in windows}
        sharing = Sharing(
            ledger=Ledger(self.store, batch_id, self.executor_id),
            limiter=RateLimiter(self.store, windows, executor_id=self.executor_id)
            if windows
            else None,
            rpm=by_name.get("rpm"),
            tpm=by_name.get("tpm"),
        )

        def make_run() -> DurableRun:
            # A simulated model per request, as `run --mock` has one per run: its script
            # (model checks pass) is played from the start for every request.
            simulated = (
                SimulatedModel(latency_s=opts["mock_latency"], script=script)
                if opts["mock"]
                else None
            )
            run = DurableRun.from_settings(settings, simulated=simulated, model=opts["model"])
            assert isinstance(run, DurableRun)
            return run

        # No terminal in a batch: a tool under `approval` runs only if `--approve` named it.
        approved = tuple(opts.get("approve") or ())
        return BatchContext(self.project.build(settings, approved), make_run, sharing)

    async def run_request(self, batch_id: str, request_id: str, text: str) -> int:
        """Run one request; its outcome, failure included, becomes its OUT.jsonl row."""
        enter_request()  # number this request's tasks the same way on every run
        ctx = await asyncio.to_thread(self.context, batch_id)
        journal = Journal(self.store, f"{batch_id}/{request_id}")
        run = ctx.make_run().make_durable(journal, ctx.sharing)
        try:
            # As `run --json`: the answer (a vote's or a refine loop's details are not in it),
            # a check that rejects the artifact keeps it (paid for) with the reason, and a run
            # stopped before any usable result has output null.
            outcome = await execute(ctx.flow, run, text, keep_rejected=True)
            summary = outcome.summary
            output = None if outcome.empty else self.project.as_data(outcome.output)
            row = make_row(
                request_id,
                output,
                outcome.exit_code,
                summary.calls,
                summary.cost_usd,
                outcome.failed or outcome.not_done or outcome.stopped_by,
            )
        except Exception as err:  # a request's failure is its row; it never stalls the batch
            summary = run.summary()
            error = str(err) if isinstance(err, WorkflowError) else f"{type(err).__name__}: {err}"
            row = make_row(request_id, None, EXIT_FAILURE, summary.calls, summary.cost_usd, error)
        await asyncio.to_thread(self.store.save_result, batch_id, request_id, row)
        return int(row["exit"])

    def sweep(self) -> int:
        """Recover the work of processes that died; returns how many were recovered."""
        dead = self.liveness.dead_peers()
        for executor in dead:
            self.liveness.bury(executor, DBOS._recover_pending_workflows)
        return len(dead)


_HOST: Host | None = None


@DBOS.workflow(name=WORKFLOW)
async def request_workflow(batch_id: str, request_id: str, text: str) -> int:
    """One request of a batch, as a DBOS workflow."""
    if _HOST is None:
        raise RuntimeError("no batch host in this process")
    return await _HOST.run_request(batch_id, request_id, text)


def start(project: Project, url: str, executor_id: str) -> Host:
    """Create the tables, take this process's lock, launch DBOS and recover dead peers' work."""
    global _HOST
    store = Store(url)
    store.create_tables()
    host = Host(project, store, executor_id)
    host.liveness.hold()
    config: DBOSConfig = {
        "name": project.name,
        "system_database_url": url,
        "executor_id": executor_id,
        "application_version": APP_VERSION,
        "log_level": "ERROR",  # its queue-contention notices would break the one-line output
    }
    _HOST = host
    DBOS(config=config)
    DBOS.launch()
    host.sweep()
    return host


def stop(host: Host) -> None:
    """Shut DBOS down and release this process's lock."""
    global _HOST
    DBOS.destroy(workflow_completion_timeout_sec=0)
    host.liveness.release()
    host.store.close()
    _HOST = None


def open_queue(concurrency: int | None, rpm: int | None, period_s: float) -> None:
    """Declare the queue: concurrency across every process, requests started per period."""
    DBOS.register_queue(
        QUEUE,
        global_concurrency=concurrency,
        limiter={"limit": rpm, "period": period_s} if rpm else None,
        polling_interval_sec=QUEUE_POLL_S,
        on_conflict="always_update",
    )


def enqueue(host: Host, url: str, batch_id: str, requests: Iterable[Request]) -> int:
    """Put the requests not yet queued on the queue, in bulk; returns how many were added."""
    queued = {
        w.workflow_id
        for w in DBOS.list_workflows(
            workflow_id_prefix=f"{batch_id}/", load_input=False, load_output=False
        )
    }
    todo = [r for r in requests if f"{batch_id}/{r.id}" not in queued]
    if not todo:
        return 0
    client = DBOSClient(system_database_url=url, application_name=host.project.name)
    try:
        for start_at in range(0, len(todo), ENQUEUE_CHUNK):
            chunk = todo[start_at : start_at + ENQUEUE_CHUNK]
            with host.store.begin() as conn:  # the same database as DBOS's tables
                # what each was given, with its workflow: a resume refuses an id given another
                host.store.save_inputs(batch_id, {r.id: r.digest for r in chunk}, conn)
                for r in chunk:
                    options: Any = {
                        "workflow_name": WORKFLOW,
                        "queue_name": QUEUE,
                        "workflow_id": f"{batch_id}/{r.id}",
                        "app_version": APP_VERSION,
                    }
                    client.enqueue_in_transaction(conn, options, batch_id, r.id, r.text)
    finally:
        client.destroy()
    return len(todo)
