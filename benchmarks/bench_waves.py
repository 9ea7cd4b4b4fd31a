"""Planned subtasks with dependencies: do the waves of a DAG really run in parallel?

Run: python benchmarks/bench_waves.py [--waves 3] [--width 4] [--latency 0.2] [--repeat 3]

1. Runtime: `orchestrate(dependencies=True)` on the simulated model with a fixed latency per
   call and a scripted plan of WAVES waves of WIDTH subtasks (each subtask after the first wave
   depends on two of the wave before it). The critical path is the planner, one call per wave
   and the synthesizer: (WAVES + 2) x latency. Serial would be (WAVES x WIDTH + 2) x latency.
2. The generated example (examples/planned-research.yaml), its own workflow.py and vendored
   runtime imported and run on the simulated model with the same latency (as `run --mock
   --mock-latency L` does, without the process start-up); its waves are read back from the
   trace; critical path = (waves + 2) x L.

Prints wall / critical path (1.0x is perfect wave parallelism) and serial / wall (the speed-up
over running the subtasks one after another).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pydantic import BaseModel, Field  # noqa: E402

from runtime import Limits, Reply, Run, SimulatedModel  # noqa: E402
from runtime.combinators.orchestrate import orchestrate  # noqa: E402
from runtime.combinators.step import llm  # noqa: E402
from runtime.dag import DagPlan  # noqa: E402


class Sub(BaseModel):
    id: str
    kind: str
    task: str
    depends_on: list[str] = Field(default_factory=list)


class Plan(DagPlan):
    subtasks: list[Sub] = Field(min_length=1)


def plan(waves: int, width: int) -> Plan:
    subs = []
    for w in range(waves):
        for i in range(width):
            deps = [f"w{w - 1}s{j % width}" for j in (i, i + 1)] if w else []
            subs.append(Sub(id=f"w{w}s{i}", kind="work", task=f"part {w}.{i}", depends_on=deps))
    return Plan(subtasks=subs)


async def once(waves: int, width: int, latency: float) -> tuple[float, int]:
    sim = SimulatedModel(latency_s=latency, script={"plan": [Reply(output=plan(waves, width))]})
    run = Run(simulated=sim, limits=Limits(max_calls=1000))
    flow = orchestrate(
        llm("plan", "{input}", response_model=Plan),
        {"work": llm("work")},
        synthesize=llm("synthesize"),
        max_workers=waves * width,
        dependencies=True,
    )
    start = time.perf_counter()
    await flow(run, "a question")
    return time.perf_counter() - start, run.summary().calls


def runtime_figures(waves: int, width: int, latency: float, repeat: int) -> None:
    asyncio.run(once(1, 1, 0.0))  # warm up: imports, tokenizer, pydantic
    walls = []
    calls = 0
    for _ in range(repeat):
        wall, calls = asyncio.run(once(waves, width, latency))
        walls.append(wall)
    wall = min(walls)
    critical = (waves + 2) * latency
    serial = (waves * width + 2) * latency
    print(f"runtime: {waves} waves x {width} subtasks, {calls} calls, {latency:g} s per call")
    print(f"  wall {wall:.3f} s (best of {repeat}), critical path {critical:.3f} s,", end="")
    print(f" serial {serial:.3f} s")
    print(f"  wall / critical path = {wall / critical:.3f}x   serial / wall = {serial / wall:.2f}x")


def project_figures(latency: float, repeat: int) -> None:
    import importlib

    from advisor.answers import load_answers
    from advisor.commands.new import spec_from, write_project
    from advisor.diagnose import diagnose
    from advisor.template_store import publish

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec = spec_from(diagnose(load_answers(ROOT / "examples" / "planned-research.yaml")))
        made = write_project(spec, root / "brief", published=publish(store=root / "store"))
        sys.path.insert(0, str(made.path))  # the project's own code and its vendored runtime
        pkg = importlib.import_module(made.package)
        rt = importlib.import_module(f"{made.package}._runtime")
        comb = importlib.import_module(f"{made.package}._runtime.combinators")
        settings = pkg.load_settings()
        walls, waves, workers = [], 0, 0
        for i in range(repeat):
            trace = root / f"trace{i}.jsonl"
            sim = rt.SimulatedModel(latency_s=latency)
            run = rt.Run.from_settings(settings, simulated=sim, trace=trace)
            start = time.perf_counter()
            with run:
                comb.execute_sync(pkg.build(settings), run, "Should we enter the Nordic market?")
            walls.append(time.perf_counter() - start)
            lines: list[dict[str, Any]] = [json.loads(x) for x in trace.read_text().splitlines()]
            paths = [str(x["step"]).split(">") for x in lines if "step" in x]
            waves = len({seg for path in paths for seg in path if seg.startswith("wave")})
            workers = sum(1 for path in paths if any(seg.startswith("wave") for seg in path))
    wall = min(walls)
    critical = (waves + 2) * latency
    serial = (workers + 2) * latency
    print("generated project (examples/planned-research.yaml, its simulated planner's plan):")
    print(f"  {waves} waves, {workers} workers, {latency:g} s per call; wall {wall:.3f} s")
    print(f"  (best of {repeat}), critical path {critical:.3f} s, serial {serial:.3f} s")
    print(f"  wall / critical path = {wall / critical:.3f}x   serial / wall = {serial / wall:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--width", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-project", action="store_true", help="skip the generated project")
    args = parser.parse_args()
    runtime_figures(args.waves, args.width, args.latency, args.repeat)
    if not args.no_project:
        project_figures(args.latency, args.repeat)


if __name__ == "__main__":
    main()
