"""10,000 requests on the simulated model: wall time, peak memory, store size, two kill -9s.

Run: python benchmarks/bench_batch_volume.py [--requests 10000] [--concurrency 32] [--kills 2]

Renders a single-call project, writes INPUT.jsonl, and runs `python -m PKG batch --mock` on
the default SQLite store. With --kills K it SIGKILLs the batch K times (after roughly
1/(K+1), 2/(K+1)... of the rows are written) and runs the same command again each time, then
checks that every request is in OUT.jsonl exactly once and that the ledger charged no call
twice: the dollars the store recorded as sent may exceed the rows' dollars only by the calls
in flight at the kills (at most --concurrency per kill, each settled at its worst case).
Prints the wall time, the requests per second, the batch processes' peak RSS, and the store's
size on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor.answers import parse_answers
from advisor.commands.new import spec_from, write_project
from advisor.diagnose import diagnose
from runtime.volume.limits import Ledger
from runtime.volume.store import Store, sqlite_url


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    clean.pop("DBOS_SYSTEM_DATABASE_URL", None)
    clean["WFADVISE_ALLOW_MODEL_REQUESTS"] = "0"
    return clean


def lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as f:
        return sum(1 for _ in f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--kills", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec = spec_from(diagnose(parse_answers({"name": "volume", "steps": ["answer"]})))
        made = write_project(spec, root / "project")
        inputs, out = root / "in.jsonl", root / "out.jsonl"
        with inputs.open("w") as f:
            for i in range(args.requests):
                f.write(
                    json.dumps({"id": f"r{i}", "input": f"Request {i}: a short question"}) + "\n"
                )
        cmd = [sys.executable, "-m", made.package, "batch", str(inputs), "--out", str(out)]
        cmd += ["--mock", "--concurrency", str(args.concurrency)]
        start = time.perf_counter()
        for k in range(1, args.kills + 1):
            target = args.requests * k // (args.kills + 1)
            proc = subprocess.Popen(cmd, cwd=made.path, env=env(), stderr=subprocess.DEVNULL)
            while lines(out) < target and proc.poll() is None:
                time.sleep(0.2)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            print(f"kill -9 #{k} after {lines(out)} rows, {time.perf_counter() - start:.1f} s")
        done = subprocess.run(cmd, cwd=made.path, env=env(), capture_output=True, text=True)
        wall = time.perf_counter() - start
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        ids = [r["id"] for r in rows]
        store_dir = made.path / ".wfadvise"
        size = sum(p.stat().st_size for p in store_dir.glob("batch.sqlite*"))
        store = Store(sqlite_url(store_dir / "batch.sqlite"))
        batch_ids = [
            b
            for (b,) in store.engine.connect().exec_driver_sql(
                "SELECT batch_id FROM wfadvise_batches"
            )
        ]
        sent_usd = Ledger(store, batch_ids[0], "").spent().spent_usd
        store.close()
        rows_usd = sum(r["cost_usd"] for r in rows)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(done.stderr.strip().splitlines()[-1])
        once = len(ids) == len(set(ids)) == args.requests
        print(f"exit {done.returncode}; {len(rows)} rows, every request exactly once: {once}")
        print(
            f"wall time {wall:.1f} s for {args.requests} requests and {args.kills} kill -9s: "
            f"{args.requests / wall:.0f} requests/s"
        )
        print(
            f"peak RSS of a batch process {peak_mb:.0f} MB; store on disk {size / 1e6:.1f} MB "
            f"({size / args.requests:.0f} bytes per request)"
        )
        print(
            f"ledger ${sent_usd:.4f} sent vs rows ${rows_usd:.4f}: "
            f"{(sent_usd / rows_usd - 1) * 100 if rows_usd else 0:.2f}% charged beyond the rows "
            "(calls in flight at the kills, settled at their worst case)"
        )


if __name__ == "__main__":
    main()
