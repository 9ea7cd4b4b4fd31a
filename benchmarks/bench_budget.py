"""Budget bookkeeping cost with 64 concurrent calls on the simulated model.

Run: python benchmarks/bench_budget.py [--concurrency 64] [--rounds 20]

Runs rounds of 64 concurrent simulated calls (no latency) twice: with no limits (the
budget still reserves and settles, but nothing can refuse) and with all three limits set
high enough never to refuse; and times Budget.reserve + settle alone. Prints per-call
times and the ratio limited/unlimited.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime import Budget, Limits, Run, SimulatedModel

MSG = [{"role": "user", "content": "Check this paragraph for tone and accuracy."}]


async def burst(run: Run, n: int) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(run.call("check", MSG, max_tokens=60) for _ in range(n)))
    return time.perf_counter() - start


def per_call_ms(limits: Limits, n: int, rounds: int) -> tuple[float, Run]:
    run = Run(simulated=SimulatedModel(text_tokens=30), limits=limits)

    async def go() -> list[float]:
        await burst(run, n)  # warm up (tokenizer load)
        return [await burst(run, n) for _ in range(rounds)]

    return statistics.median(asyncio.run(go())) / n * 1e3, run


def ledger_us(n: int) -> float:
    budget = Budget(Limits(max_usd=1e9, max_calls=10**9, max_tokens=10**12))
    start = time.perf_counter()
    for _ in range(n):
        held = budget.reserve(tokens=300, usd=0.0002)
        budget.settle(held, tokens=120, usd=0.0001)
    return (time.perf_counter() - start) / n * 1e6


def main(n: int, rounds: int) -> None:
    big = Limits(max_usd=1e6, max_calls=10**9, max_tokens=10**12)
    free, _ = per_call_ms(Limits(), n, rounds)
    limited, run = per_call_ms(big, n, rounds)
    spent = run.budget.spent
    print(f"concurrency:                 {n} calls per burst, {rounds} bursts")
    print(f"simulated call, no limits:   {free * 1e3:.0f} us/call")
    print(f"simulated call, all limits:  {limited * 1e3:.0f} us/call")
    print(f"ratio limited/unlimited:     {limited / free:.3f}")
    print(f"reserve+settle alone:        {ledger_us(100_000):.2f} us/call")
    print(f"ledger after the run:        calls={spent.calls} held={run.budget.held.calls}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    main(args.concurrency, args.rounds)
