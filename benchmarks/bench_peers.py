"""wfadvise beside pydantic-ai, langgraph and the bare openai SDK, on one loopback server.

Run: pip install -e ".[bench]" && python benchmarks/bench_peers.py [--repeat 5] [--calls 500]

Every peer calls the same OpenAI-compatible server (tests/stub_server.py, in its own process)
with the same one-message chat request. Four measures, each peer in fresh interpreters, the
peers interleaved so load from other processes hits them alike:

1. first completed call in a fresh process: from spawning the interpreter to the first reply
   (imports included), median of --repeat;
2. per call over --calls sequential calls in one process (after a warm-up; the median of five
   blocks), median of --repeat processes; wfadvise with a dollar budget, retries and a JSONL
   trace on;
3. 64 calls at once with the server answering each after 0.2 s: wall time / 0.2 s (the
   critical path), median of --repeat rounds;
4. requests the server received when each peer is told to stop at 10 calls and 64 calls are
   started at once (wfadvise: Limits(max_calls=10); pydantic-ai: UsageLimits(request_limit=10)
   over one shared RunUsage; langgraph and the bare SDK have no cap that spans calls).

wfadvise runs as a generated project's runtime would (runtime.Run, openai/ model with an
api_base: the openai SDK path); the first call is also timed through a generated single-call
project's own command line (`python -m PKG run --model ...` with OPENAI_API_BASE set).
Targets (issue 13): first call <= 1.0x pydantic-ai's; per call <= 1.35x the bare SDK's;
fan-out wall/critical <= 1.05x the bare SDK's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = ["wfadvise", "pydantic-ai", "langgraph", "openai"]
PROMPT = "Write a one-line title for: my March invoice shows two charges."
LATENCY_S = 0.2
# The generated project's budget needs a priced model; the stub answers any model name.
PRICED_MODEL = "openai/gpt-4o-mini"
FAN_OUT = 64
CAP = 10

SERVER = """
import dataclasses, sys
sys.path.insert(0, sys.argv[1])
from stub_server import StubServer, completion_body

class Server(StubServer):
    delay_s = 0.0

    def _take(self, body, headers):
        item = super()._take(body, headers)
        return dataclasses.replace(item, delay_s=item.delay_s or self.delay_s)

server = Server()
server.default = completion_body("Duplicate March charge", prompt_tokens=24, completion_tokens=5)
server.start()
print(server.base_url, flush=True)
for line in sys.stdin:
    command, *args = line.split()
    if command == "delay":
        server.delay_s = float(args[0])
    elif command == "reset":
        with server._lock:
            server.requests.clear()
    print(len(server.requests), flush=True)
"""


class Stub:
    """The loopback server in its own process (so it never competes for the client's GIL)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(ROOT / "tests")],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()

    def ask(self, command: str) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


# ---- the peers: each makes (n concurrent) calls with a shared client, in the child process ----


def wfadvise_caller(base: str, cap: int | None, trace: Path) -> Callable[[int], Awaitable[Any]]:
    from runtime import Limits, Price, PriceBook, RetryPolicy, Run

    run = Run(
        models="openai/stub",
        api_base=base,
        api_key="bench",
        limits=Limits(max_usd=1e6, max_calls=cap),
        prices=PriceBook({"openai/stub": Price(0.15, 0.6)}),
        retry=RetryPolicy(),
        trace=trace,
    )
    messages = [{"role": "user", "content": PROMPT}]

    async def call(n: int) -> Any:
        calls = [run.call("title", messages, max_tokens=50) for _ in range(n)]
        return await asyncio.gather(*calls, return_exceptions=cap is not None)

    return call


def pydantic_ai_caller(base: str, cap: int | None) -> Callable[[int], Awaitable[Any]]:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider
    from pydantic_ai.usage import RunUsage, UsageLimits

    model = OpenAIChatModel("stub", provider=OpenAIProvider(base_url=base, api_key="bench"))
    agent = Agent(model)
    limits = UsageLimits(request_limit=cap) if cap else None
    usage = RunUsage() if cap else None  # one for every run: the closest to a cap across calls

    async def call(n: int) -> Any:
        runs = [agent.run(PROMPT, usage_limits=limits, usage=usage) for _ in range(n)]
        return await asyncio.gather(*runs, return_exceptions=cap is not None)

    return call


def langgraph_caller(base: str, cap: int | None) -> Callable[[int], Awaitable[Any]]:
    from typing import TypedDict

    from langchain_openai import ChatOpenAI
    from langgraph.graph import END, START, StateGraph

    class State(TypedDict):
        question: str
        answer: str

    llm = ChatOpenAI(model="stub", base_url=base, api_key="bench", max_retries=2)  # type: ignore[arg-type]

    async def answer(state: State) -> dict[str, str]:
        reply = await llm.ainvoke(state["question"])
        return {"answer": str(reply.content)}

    graph = StateGraph(State)
    graph.add_node("answer", answer)
    graph.add_edge(START, "answer")
    graph.add_edge("answer", END)
    app = graph.compile()

    async def call(n: int) -> Any:
        runs = [app.ainvoke({"question": PROMPT, "answer": ""}) for _ in range(n)]
        return await asyncio.gather(*runs, return_exceptions=cap is not None)

    return call


def openai_caller(base: str, cap: int | None) -> Callable[[int], Awaitable[Any]]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base, api_key="bench")
    messages = [{"role": "user", "content": PROMPT}]

    async def call(n: int) -> Any:
        calls = [
            client.chat.completions.create(model="stub", messages=messages, max_tokens=50)  # type: ignore[call-overload]
            for _ in range(n)
        ]
        return await asyncio.gather(*calls, return_exceptions=cap is not None)

    return call


def caller(peer: str, base: str, cap: int | None, tmp: Path) -> Callable[[int], Awaitable[Any]]:
    if peer == "wfadvise":
        return wfadvise_caller(base, cap, tmp / "trace.jsonl")
    return {
        "pydantic-ai": pydantic_ai_caller,
        "langgraph": langgraph_caller,
        "openai": openai_caller,
    }[peer](base, cap)


def child(peer: str, measure: str, base: str, calls: int) -> None:
    """One measure of one peer, in this (fresh) process; prints a JSON result."""
    with tempfile.TemporaryDirectory() as tmp:
        cap = CAP if measure == "cap" else None
        call = caller(peer, base, cap, Path(tmp))

        async def go() -> object:
            if measure == "first":
                await call(1)
                return None
            await call(2)  # warm up: imports, clients, connections, the tokenizer
            if measure == "fanout":
                start = time.perf_counter()
                await call(FAN_OUT)
                return time.perf_counter() - start
            blocks = []
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(calls // 5):
                    await call(1)
                blocks.append((time.perf_counter() - start) / (calls // 5))
            return statistics.median(blocks)

        if measure == "cap":
            asyncio.run(call(FAN_OUT))
            print(json.dumps(None), flush=True)
            return
        print(json.dumps(asyncio.run(go())), flush=True)


# ---- the parent: spawns children, interleaves the peers, prints the table ----


def env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return base | {
        "WFADVISE_ALLOW_MODEL_REQUESTS": "1",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PYTHONPATH": str(ROOT),
    }


def spawn(peer: str, measure: str, base: str, calls: int) -> tuple[float, Any]:
    """(seconds from spawning to the result line, the result)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", peer, measure, base]
    cmd += ["--calls", str(calls)]
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{peer} {measure} failed:\n{out.stderr[-3000:]}")
    return elapsed, json.loads(out.stdout.strip().splitlines()[-1])


def first_call(peer: str, base: str, project: tuple[Path, str] | None = None) -> float:
    # Timed to the result line, not the exit: an interpreter's shutdown is not the answer.
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", peer, "first", base]
    cwd, extra = ROOT, {}
    if peer == "project" and project:  # the generated project's own command line
        cwd, package = project
        cmd = [sys.executable, "-m", package, "run", "--model", PRICED_MODEL, PROMPT]
        extra = {"OPENAI_API_BASE": base, "PYTHONPATH": ""}
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env() | extra, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    _, err = proc.communicate()
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"{peer} first call failed:\n{err.decode()[-3000:]}")
    return elapsed


def render_project(dest: Path) -> tuple[Path, str] | None:
    """The single-call example generated by this checkout's advisor; None if that fails."""
    code = (
        "import sys; from advisor.cli import main; sys.argv = "
        f"['wfadvise', 'new', '--answers', {str(ROOT / 'examples' / 'single-call.yaml')!r}, "
        f"{str(dest)!r}]; main()"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env(), capture_output=True)
    packages = [p.parent.name for p in dest.glob("*/__main__.py")]
    if done.returncode != 0 or len(packages) != 1:
        print(f"(no generated-project column: rendering failed)\n{done.stderr.decode()[-800:]}")
        return None
    return dest, packages[0]


def main(repeat: int, calls: int) -> None:
    stub = Stub()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            project = render_project(Path(tmp) / "project")
            results = measure_all(stub, repeat, calls, project)
    finally:
        stub.close()
    report(results, repeat, calls)


def measure_all(
    stub: Stub, repeat: int, calls: int, project: tuple[Path, str] | None
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {p: {"first": [], "fanout": []} for p in PEERS}
    firsts = [*PEERS, "project"] if project else PEERS
    out["project"] = {"first": []}
    for peer in firsts:
        first_call(peer, stub.base_url, project)  # warm the file cache and the tokenizer cache
    for _ in range(repeat):
        for peer in firsts:
            out[peer]["first"].append(first_call(peer, stub.base_url, project))
    for _ in range(repeat):  # interleaved: a load spike hits every peer's median alike
        for peer in PEERS:
            out[peer].setdefault("per_call", []).append(
                spawn(peer, "sequential", stub.base_url, calls)[1]
            )
    stub.ask(f"delay {LATENCY_S}")
    for _ in range(repeat):
        for peer in PEERS:
            out[peer]["fanout"].append(spawn(peer, "fanout", stub.base_url, calls)[1])
    for peer in PEERS:
        stub.ask("reset")
        spawn(peer, "cap", stub.base_url, calls)
        # The child's warm-up made no requests (cap runs only the 64 calls).
        out[peer]["billed"] = stub.ask("count")
    stub.ask("delay 0")
    return out


def report(results: dict[str, dict[str, Any]], repeat: int, calls: int) -> None:
    first = {p: statistics.median(r["first"]) for p, r in results.items() if r["first"]}
    per_call = {p: statistics.median(results[p]["per_call"]) for p in PEERS}
    fanout = {p: statistics.median(results[p]["fanout"]) / LATENCY_S for p in PEERS}
    bare = "openai"
    print(f"Loopback OpenAI-compatible server (tests/stub_server.py); medians of {repeat}.")
    print(f"| measure | {' | '.join(PEERS[:-1])} | bare openai SDK |")
    print("|---|" + "---|" * len(PEERS))
    row = [f"{first[p]:.2f} s" for p in PEERS]
    if "project" in first:
        row[0] += f" (generated project's CLI: {first['project']:.2f} s)"
    print("| first completed call, fresh process | " + " | ".join(row) + " |")
    row = [f"{per_call[p] * 1e6:,.0f} ({per_call[p] / per_call[bare]:.2f}x bare)" for p in PEERS]
    print(f"| per call, {calls} sequential (µs) | " + " | ".join(row) + " |")
    row = [f"{fanout[p]:.2f} ({fanout[p] / fanout[bare]:.2f}x bare)" for p in PEERS]
    print(
        f"| {FAN_OUT}-way fan-out, wall ÷ {LATENCY_S} s critical path | " + " | ".join(row) + " |"
    )
    row = [str(results[p]["billed"]) if p != bare else "-" for p in PEERS]
    print(f"| calls billed with a {CAP}-call cap, {FAN_OUT} concurrent | " + " | ".join(row) + " |")
    w, pa = first["wfadvise"], first["pydantic-ai"]
    print(f"first call: wfadvise runtime / pydantic-ai = {w / pa:.2f} (target <= 1.0)")
    if "project" in first:
        print(f"first call: generated project / pydantic-ai = {first['project'] / pa:.2f}")
    print(
        f"per call: wfadvise / bare = {per_call['wfadvise'] / per_call[bare]:.2f} (target <= 1.35)"
    )
    print(f"fan-out: wfadvise / bare = {fanout['wfadvise'] / fanout[bare]:.2f} (target <= 1.05)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--child", nargs=3, metavar=("PEER", "MEASURE", "BASE"))
    args = parser.parse_args()
    if args.child:
        child(*args.child, calls=args.calls)
    else:
        main(args.repeat, args.calls)
