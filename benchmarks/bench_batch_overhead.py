"""Durability overhead per model call: a journaled call vs a plain call, and DBOS's own step.

Run: python benchmarks/bench_batch_overhead.py [--calls 300]

On the simulated model (no latency), so the figures are the bookkeeping alone:
- plain: Run.call, the runtime as `run` uses it;
- durable: DurableRun.call as `batch` runs it (journal lookup, batch-ledger reserve and settle,
  reply journaled), on the SQLite store and, when PostgreSQL's binaries are installed, on a
  loopback PostgreSQL;
- replay: the same calls again in a recovered request (served from the journal);
- DBOS step: a bare `DBOS.run_step_async` inside a workflow vs calling the function plainly.
Prints microseconds per call and each as a ratio to the plain call; a real provider call takes
0.3-3 s, against which the ratio that matters is overhead / latency.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from runtime import Run, SimulatedModel
from runtime.volume.durable import DurableRun, Journal, Sharing
from runtime.volume.limits import Ledger
from runtime.volume.store import Store, check_reachable, sqlite_url

MODEL = "openai/gpt-4o-mini"


def messages(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Request {i}: summarise the refund policy."}]


async def timed_calls(run: Run, calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        await run.call("answer", messages(i), max_tokens=60)
    return (time.perf_counter() - start) / calls


def plain(calls: int) -> float:
    run = Run(models=MODEL, simulated=SimulatedModel(text_tokens=30))
    asyncio.run(timed_calls(run, 20))  # warm up: tokenizer, pydantic
    return asyncio.run(timed_calls(run, calls))


def durable(url: str, calls: int) -> tuple[float, float]:
    """Per-call seconds for first calls and for their replay."""
    check_reachable(url)
    store = Store(url)
    store.create_tables()
    store.save_batch("bench", {}, 1000.0)
    ledger = Ledger(store, "bench", "bench-executor")

    def durable_run(workflow: str) -> DurableRun:
        run = DurableRun(models=MODEL, simulated=SimulatedModel(text_tokens=30))
        return run.make_durable(Journal(store, workflow), Sharing(ledger=ledger, limiter=None))

    asyncio.run(timed_calls(durable_run("warm"), 20))
    first = asyncio.run(timed_calls(durable_run("bench/1"), calls))
    replay = asyncio.run(timed_calls(durable_run("bench/1"), calls))
    store.close()
    return first, replay


def dbos_step(url: str, calls: int) -> tuple[float, float]:
    """Per-call seconds: a plain async function, and the same as a DBOS step in a workflow."""
    from dbos import DBOS

    async def work(i: int) -> int:
        return i * 2

    @DBOS.workflow(name="bench_steps")
    async def steps(n: int) -> int:
        total = 0
        for i in range(n):
            total += await DBOS.run_step_async(None, work, i)
        return total

    DBOS(config={"name": "bench", "system_database_url": url, "log_level": "WARNING"})
    DBOS.launch()
    try:

        async def plain_loop() -> float:
            start = time.perf_counter()
            for i in range(calls):
                await work(i)
            return (time.perf_counter() - start) / calls

        async def step_loop() -> float:
            await steps(5)
            start = time.perf_counter()
            await steps(calls)
            return (time.perf_counter() - start) / calls

        return asyncio.run(plain_loop()), asyncio.run(step_loop())
    finally:
        DBOS.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    base = plain(args.calls)
    print(f"plain Run.call (simulated):         {base * 1e6:9.0f} us/call   1.0x")
    with tempfile.TemporaryDirectory() as tmp:
        stores = {"SQLite": sqlite_url(Path(tmp) / "store.sqlite")}
        from pg_server import LocalPostgres

        server = LocalPostgres.find()
        if server is not None:
            server.start()
            stores["PostgreSQL"] = server.url("bench")
        try:
            for name, url in stores.items():
                first, replay = durable(url, args.calls)
                print(
                    f"durable call, {name:10}:          {first * 1e6:9.0f} us/call "
                    f"{first / base:6.1f}x   replayed: {replay * 1e6:7.0f} us/call "
                    f"{replay / base:5.1f}x   (+{(first - base) / 0.5 * 100:.1f}% on a 0.5 s call)"
                )
            fn, step = dbos_step(stores["SQLite"], args.calls)
            print(
                f"DBOS step vs plain function (SQLite): {step * 1e6:7.0f} us vs "
                f"{fn * 1e6:.1f} us per call; step overhead = {step / base:.1f}x a plain Run.call"
            )
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
