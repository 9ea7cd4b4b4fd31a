"""Memory and time for 1,000 concurrent branches on the simulated model (tracemalloc).

Run: python benchmarks/bench_many_branches.py [--branches 1000] [--latency 0.5] [--rounds 5]

Each round runs one parallel() of B model branches (concurrency B) on a fresh Run. A leak
shows as traced memory retained after a round growing round over round; bounded growth shows
as a peak per branch that stays flat across rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime import Run, SimulatedModel, llm, parallel


def one_round(branches: int, latency: float) -> tuple[float, int]:
    flow = parallel({f"b{i}": llm("branch") for i in range(branches)})
    run = Run(simulated=SimulatedModel(latency_s=latency, text_tokens=40))
    start = time.perf_counter()
    out = asyncio.run(flow(run, "classify this ticket"))
    wall = time.perf_counter() - start
    assert out.complete and len(out.outputs) == branches
    return wall, run.summary().calls


def bare_gather(branches: int, latency: float) -> float:
    """The same calls through asyncio.gather, no combinator: the per-call cost baseline."""
    step = llm("branch")
    run = Run(simulated=SimulatedModel(latency_s=latency, text_tokens=40))

    async def go() -> None:
        await asyncio.gather(*(step(run, "classify this ticket") for _ in range(branches)))

    start = time.perf_counter()
    asyncio.run(go())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.5, help="simulated seconds per call")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    B, L = args.branches, args.latency
    one_round(8, 0.0)  # warm caches (tokenizer, price map) outside the measurement
    untraced, _ = one_round(B, L)
    bare = bare_gather(B, L)
    print(
        f"untraced: parallel() {untraced:.3f} s (wall/L {untraced / L:.3f}); "
        f"bare asyncio.gather of the same calls {bare:.3f} s; "
        f"combinator overhead {(untraced - bare) * 1000:+.0f} ms"
    )
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    print(f"{B} branches per round, simulated latency L = {L} s, concurrency = {B}")
    print(
        f"{'round':>5} {'calls':>6} {'wall s':>7} {'wall/L':>7} {'peak MiB':>9} "
        f"{'KiB/branch':>10} {'retained KiB':>12}"
    )
    retained = []
    for r in range(1, args.rounds + 1):
        tracemalloc.reset_peak()
        wall, calls = one_round(B, L)
        peak = tracemalloc.get_traced_memory()[1] - base
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - base
        retained.append(kept)
        print(
            f"{r:>5} {calls:>6} {wall:>7.3f} {wall / L:>7.3f} {peak / 2**20:>9.2f} "
            f"{peak / B / 1024:>10.2f} {kept / 1024:>12.1f}"
        )
    tracemalloc.stop()
    half = len(retained) // 2
    slope = (retained[-1] - retained[half]) / max(1, len(retained) - 1 - half) / 1024
    print(
        f"retained after round {args.rounds}: {retained[-1] / 1024:.1f} KiB (caches warm up in "
        f"the first rounds); growth over the second half: {slope:+.2f} KiB/round"
    )


if __name__ == "__main__":
    main()
