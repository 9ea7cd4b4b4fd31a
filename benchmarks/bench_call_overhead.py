"""Per-call overhead of the runtime (budget + retry + trace) over the bare openai SDK, on loopback.

Run: python benchmarks/bench_call_overhead.py [--calls 500] [--block 25]

Every side sends the same chat request to the loopback OpenAI-compatible stub
(tests/stub_server.py in its own process, answering a fixed reply):
- `bare`: AsyncOpenAI.chat.completions.create with one client;
- `runtime`: Run.call for an `openai/...` model with an api_base, the openai SDK path (token
  bound, budget reservation and settlement, retry wrapper, timeout, a JSONL trace line);
- `via litellm`: Run.call forced through litellm.acompletion, the path every call took before.
Blocks of the sides alternate in rotating order so machine noise and drift hit all alike;
medians of blocks. Target (issue 13): runtime/bare <= 1.35. The runtime's bookkeeping alone
(backend replaced by a fixed reply) is timed too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["WFADVISE_ALLOW_MODEL_REQUESTS"] = "1"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from runtime import Limits, Price, PriceBook, Run
from runtime.model_calls.completion import CallRequest, RawCompletion, Usage

MODEL = "openai/stub"
MESSAGES = [
    {"role": "system", "content": "You answer customer emails briefly and politely."},
    {"role": "user", "content": "My invoice for March shows two charges. Can you fix it?"},
]
MOCK = "Sorry about that: the duplicate March charge has been refunded."
PRICES = PriceBook({MODEL: Price(0.15, 0.6)})


def make_run(base_url: str, trace: Path, calls: int, **kw: Any) -> Run:
    return Run(
        models=MODEL,
        api_base=base_url,
        api_key="sk-bench-key-0000",
        limits=Limits(max_usd=1000.0, max_calls=100 * calls),
        prices=PRICES,
        trace=trace,
        **kw,
    )


async def timed(n: int, one: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await one()
    return time.perf_counter() - start


class NoBackendRun(Run):
    """The runtime path with the backend replaced by a fixed reply: bookkeeping alone."""

    def _backend(self, req: CallRequest) -> Any:
        async def send(req: CallRequest) -> RawCompletion:
            return RawCompletion(text=MOCK, usage=Usage(prompt_tokens=40, completion_tokens=14))

        return send


async def measure(base_url: str, calls: int, block: int) -> dict[str, float]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench-key-0000", max_retries=0)
    tmp = Path(tempfile.mkdtemp())
    sdk_run = make_run(base_url, tmp / "sdk.jsonl", calls)
    litellm_run = make_run(base_url, tmp / "litellm.jsonl", calls, litellm_kwargs={"timeout": 60})

    async def bare() -> Any:
        return await client.chat.completions.create(
            model="stub",
            messages=MESSAGES,
            max_tokens=200,
            timeout=60,  # type: ignore[arg-type]
        )

    sides: dict[str, Callable[[], Awaitable[Any]]] = {
        "bare": bare,
        "runtime": lambda: sdk_run.call("draft", MESSAGES, max_tokens=200),
        "via litellm": lambda: litellm_run.call("draft", MESSAGES, max_tokens=200),
    }
    for one in sides.values():  # warm up: imports, tokenizer, connection pools
        await timed(20, one)
    per_call: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for i in range(calls // block):
        for name in names[i % 3 :] + names[: i % 3]:
            per_call[name].append(await timed(block, sides[name]) / block * 1e6)
    sdk_run.close()
    litellm_run.close()
    await client.close()
    from runtime.model_calls.openai_backend import close_clients

    await close_clients()
    return {name: statistics.median(v) for name, v in per_call.items()}


def bookkeeping_us(calls: int) -> float:
    run = NoBackendRun(models=MODEL, limits=Limits(max_usd=1000.0), prices=PRICES)
    run.trace = None
    asyncio.run(timed(100, lambda: run.call("draft", MESSAGES, max_tokens=200)))
    total = asyncio.run(timed(calls, lambda: run.call("draft", MESSAGES, max_tokens=200)))
    return total / calls * 1e6


SERVE = f"""
import sys, threading
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from tests.stub_server import StubServer, completion_body
stub = StubServer()
stub.default = completion_body({MOCK!r}, prompt_tokens=40, completion_tokens=14)
stub.start()
print(stub.base_url, flush=True)
sys.stdin.read()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--block", type=int, default=25)
    args = parser.parse_args()
    # The stub runs in its own process: in this one, its thread would fight the event loop for
    # the GIL and every reply would wait out a 5 ms switch interval.
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        if not base_url.startswith("http"):
            sys.exit("the stub server did not start")
        got = asyncio.run(measure(base_url, args.calls, args.block))
    finally:
        server.kill()
        server.wait()
    bare = got["bare"]
    print(f"calls per side: {args.calls} (blocks of {args.block}), loopback stub")
    for name, us in got.items():
        print(f"  {name:12} {us:8.0f} us/call  ratio to bare {us / bare:.3f}")
    print("target: runtime/bare <= 1.35")
    alone = bookkeeping_us(2000)
    print(f"runtime bookkeeping alone (backend replaced, no trace): {alone:.1f} us/call")


if __name__ == "__main__":
    main()
