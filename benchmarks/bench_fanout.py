"""Fan-out: N parallel model branches against a chain of the same N steps, simulated latency L.

Run: python benchmarks/bench_fanout.py [--latency 0.2]

L defaults to 0.2 s (not 1 s) so the whole script, chains included, finishes in about 20 s;
the ratios do not depend on L once L dwarfs the per-call overhead. The critical path of N
independent branches is one call (L); of a chain, N calls. Target: wall / critical path
<= 1.10 when concurrency >= N.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime import Run, SimulatedModel, chain, llm, parallel
from runtime.combinators import Step


def timed(flow: Step, latency: float) -> tuple[float, int]:
    run = Run(simulated=SimulatedModel(latency_s=latency, text_tokens=40))
    start = time.perf_counter()
    asyncio.run(flow(run, "review this paragraph"))
    return time.perf_counter() - start, run.summary().calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, help="simulated seconds per call")
    args = parser.parse_args()
    L = args.latency
    timed(chain(llm("warm"), llm("up")), 0.0)  # load the tokenizer and price map first
    print(f"simulated latency L = {L} s per call; critical path of a fan-out = L, of a chain = N*L")
    print(
        f"{'N':>4} {'conc':>5} {'calls':>5} {'fan-out s':>10} {'wall/crit':>10} "
        f"{'chain s':>8} {'chain/(N*L)':>11} {'speedup':>8}"
    )
    for n in (4, 16, 64):
        steps = {f"b{i}": llm(f"b{i}") for i in range(n)}
        chain_s, _ = timed(chain(*steps.values()), L)
        for conc in (n, max(1, n // 2)):
            fan_s, calls = timed(parallel(steps, concurrency=conc), L)
            print(
                f"{n:>4} {conc:>5} {calls:>5} {fan_s:>10.3f} {fan_s / L:>10.3f} "
                f"{chain_s:>8.2f} {chain_s / (n * L):>11.3f} {chain_s / fan_s:>7.1f}x"
            )
    print("wall/crit with conc = N/2 is expected near 2.0 (two waves); it shows the limit holds.")


if __name__ == "__main__":
    main()
