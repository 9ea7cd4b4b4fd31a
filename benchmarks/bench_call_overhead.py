"""Per-call overhead of the runtime's litellm path (budget + retry + trace) over bare litellm.

Run: python benchmarks/bench_call_overhead.py [--calls 1000]

Both sides call litellm.acompletion with mock_response (no network) and the same keyword
arguments; the runtime side adds token counting, the budget reservation and settlement,
the retry wrapper, the timeout and a JSONL trace line per call. Blocks of the two sides
alternate (ABBA) so machine noise and drift hit both alike. Target: ratio <= 1.10.
On a loaded shared machine the ratio wobbles by several percent between runs, so the
script also times the runtime's bookkeeping alone, with the backend replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["WFADVISE_ALLOW_MODEL_REQUESTS"] = "1"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from runtime import Limits, Run
from runtime.completion import CallRequest, RawCompletion, Usage
from runtime.litellm_backend import request_kwargs

MODEL = "openai/gpt-4o-mini"
MESSAGES = [
    {"role": "system", "content": "You answer customer emails briefly and politely."},
    {"role": "user", "content": "My invoice for March shows two charges. Can you fix it?"},
]
MOCK = "Sorry about that: the duplicate March charge has been refunded."


async def bare(n: int) -> float:
    import litellm

    kwargs = request_kwargs(
        CallRequest(step="draft", model=MODEL, messages=MESSAGES, max_tokens=200),
        api_base=None,
        api_key="sk-bench",
    )
    start = time.perf_counter()
    for _ in range(n):
        await litellm.acompletion(**kwargs, mock_response=MOCK)
    return time.perf_counter() - start


async def wrapped(run: Run, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await run.call("draft", MESSAGES, max_tokens=200)
    return time.perf_counter() - start


class NoBackendRun(Run):
    """The runtime path with the backend replaced by a fixed reply: bookkeeping alone."""

    async def _send(self, req: CallRequest) -> RawCompletion:
        return RawCompletion(text=MOCK, usage=Usage(prompt_tokens=40, completion_tokens=14))


def bookkeeping_us(trace: Path, calls: int) -> float:
    run = NoBackendRun(models=MODEL, limits=Limits(max_usd=1000.0), trace=trace)
    asyncio.run(wrapped(run, 100))
    per_call = asyncio.run(wrapped(run, calls)) / calls
    run.close()
    return per_call * 1e6


async def main(calls: int, block: int) -> None:
    trace = Path(tempfile.mkdtemp()) / "trace.jsonl"
    run = Run(
        models=MODEL,
        limits=Limits(max_usd=1000.0, max_calls=10 * calls),
        trace=trace,
        api_key="sk-bench",
        litellm_kwargs={"mock_response": MOCK},
    )
    await bare(20)  # warm up both paths (imports, tokenizer, caches)
    await wrapped(run, 20)
    bare_ms: list[float] = []
    run_ms: list[float] = []
    # ABBA order: litellm slows a little as a burst goes on (background logging work),
    # so neither side may always go first. Medians of blocks shrug off load spikes
    # from other processes on a shared machine.
    for i in range(calls // block):
        order = [True, False] if i % 2 == 0 else [False, True]
        for is_bare in order:
            if is_bare:
                bare_ms.append(await bare(block) / block * 1e3)
            else:
                run_ms.append(await wrapped(run, block) / block * 1e3)
    run.close()
    b, r = statistics.median(bare_ms), statistics.median(run_ms)
    print(f"calls per side:           {calls} (blocks of {block})")
    print(f"bare litellm.acompletion: {b:.3f} ms/call (median block)")
    print(f"runtime Run.call:         {r:.3f} ms/call (median block)")
    print(f"overhead per call:        {(r - b) * 1e3:.0f} us")
    print(f"ratio runtime/bare:       {r / b:.3f}   (target <= 1.10)")
    print(f"ratio of totals:          {sum(run_ms) / sum(bare_ms):.3f}")


def report_bookkeeping(calls: int) -> None:
    us = bookkeeping_us(Path(tempfile.mkdtemp()) / "trace.jsonl", calls)
    print(f"runtime bookkeeping alone (backend replaced, budget+trace+retry): {us:.1f} us/call")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--block", type=int, default=25)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.block))
    report_bookkeeping(args.calls)
