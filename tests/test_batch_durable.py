"""`batch` and `worker` on a loopback PostgreSQL: kill -9 and resume, shared budget and limits.

The provider is the loopback stub: every request it receives is counted, so "a finished call is
never sent again" and "the budget is never exceeded" are checked where a provider would bill.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from batch_fixtures import (
    Project,
    env_stub,
    kill9,
    logs,
    rows,
    run,
    start,
    wait_until,
    write_inputs,
)
from pg_server import LocalPostgres
from stub_server import StubServer

pytestmark = pytest.mark.slow

MODEL = ["--model", "openai/gpt-4o-mini"]  # priced, so --max-usd applies; served by the stub


def _count(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("store", ["postgresql", "sqlite"])
def test_kill_9_mid_batch_then_resume_sends_no_finished_call_again(
    chain: Project, tmp_path: Path, stub: StubServer, request: pytest.FixtureRequest, store: str
) -> None:
    count, calls_each, concurrency = 15, 3, 3
    ids = write_inputs(tmp_path / "in.jsonl", count)
    for _ in range(count * calls_each + 20):
        stub.reply("a paragraph of text", prompt_tokens=20, completion_tokens=10, delay_s=0.05)
    out = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), *MODEL]
    args += ["--concurrency", str(concurrency)]
    if store == "postgresql":
        url = request.getfixturevalue("postgres").url()
        args += ["--db", url]
    else:  # the project's own store, the default
        url = f"sqlite:///{chain.path / '.wfadvise' / 'batch.sqlite'}"
    env = env_stub(stub.base_url)
    first = start(chain, args, env)
    wait_until(lambda: len(stub.requests) >= 6 * concurrency, "the batch to be well under way")
    kill9(first)
    sent_before = len(stub.requests)
    (journaled,) = _count(url, "SELECT count(*) FROM wfadvise_calls")[0]
    assert isinstance(journaled, int) and journaled > concurrency  # else the test proves nothing
    assert len({r["id"] for r in rows(out)}) < count if out.exists() else True
    resumed = run(chain, args, env)
    assert resumed.returncode == 0, resumed.stderr
    got = rows(out)
    assert sorted(r["id"] for r in got) == sorted(ids)  # every request exactly once
    assert all(r["exit"] == 0 for r in got)
    # Only calls in flight at the kill (at most one per concurrent request) are sent again;
    # a journaled call would add `journaled` requests here.
    assert len(stub.requests) <= count * calls_each + concurrency
    assert len(stub.requests) - sent_before <= count * calls_each - journaled + concurrency


def test_two_processes_share_one_budget_and_one_rate_limit(
    single: Project, tmp_path: Path, stub: StubServer, postgres: LocalPostgres
) -> None:
    """A worker and a batch work the queue together; then the batch is killed and the worker
    finishes alone, under the same window and the same ledger the dead process wrote."""
    count, rpm, window_s, max_usd = 12, 3, 3.0, 0.004
    write_inputs(tmp_path / "in.jsonl", count)
    for _ in range(count + 10):
        stub.reply("an answer", prompt_tokens=20, completion_tokens=1000, delay_s=0.05)
    url = postgres.url()
    env = env_stub(stub.base_url)
    out = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--db", url, *MODEL]
    args += ["--rpm", str(rpm), "--rate-window", str(window_s), "--max-usd", str(max_usd)]
    args += ["--concurrency", "4"]
    worker = start(single, ["worker", "--db", url], env)
    try:
        batch = start(single, args, env)
        wait_until(lambda: len(stub.requests) >= rpm, "the first window's requests")
        kill9(batch)
        finished = "SELECT count(*) FROM wfadvise_results"
        states = "SELECT status, executor_id, count(*) FROM dbos.workflow_status GROUP BY 1, 2"
        wait_until(
            lambda: _count(url, finished)[0][0] == count,
            lambda: f"the worker to finish: {_count(url, states)} {logs(single)}",
        )
    finally:
        kill9(worker)
    done = run(single, args, env)  # collects the rows the worker wrote to the store
    assert done.returncode == 3, done.stderr  # the budget stopped some requests
    got = rows(out)
    assert sorted(r["id"] for r in got) == sorted(f"r{i}" for i in range(count))
    paid = [r for r in got if r["exit"] == 0]
    stopped = [r for r in got if r["exit"] == 3]
    assert paid and stopped and len(paid) + len(stopped) == count
    assert all("batch max_usd" in r["error"] for r in stopped)
    # What the provider billed: every request it received, each reply priced as in the rows;
    # a call in flight at the kill was billed and sent again by the worker, and the ledger
    # settled the dead process's hold for it in full, so the budget covers it too.
    assert len(paid) <= len(stub.requests) <= len(paid) + 4  # 4: the concurrency
    assert len(stub.requests) * max(r["cost_usd"] for r in paid) <= max_usd
    arrivals = sorted(r.at for r in stub.requests)
    for first, later in zip(arrivals, arrivals[rpm:], strict=False):
        assert later - first >= window_s, arrivals  # never more than rpm in any window
