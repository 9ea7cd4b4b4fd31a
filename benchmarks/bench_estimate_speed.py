"""Wall time of `wfadvise estimate` as a ratio of `python -c "import litellm"`.

Run: python benchmarks/bench_estimate_speed.py [--repeat 5]

Both are fresh interpreter processes, alternated so machine noise hits both alike; medians.
The estimate runs on a project folder (settings.json + prompts) with a 3-step routing plan and
prints the rich table, and once more with --json. Target: ratio <= 0.15 (estimate never
imports litellm; prices are read from its bundled JSON as data).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime.plan import Node  # noqa: E402 - after the path insert
from runtime.settings import Settings  # noqa: E402


def make_project(root: Path) -> Path:
    leaf = [Node(pattern="single-call", name=s, steps=[s]) for s in ("billing", "tech", "general")]
    plan = Node(
        pattern="routing",
        name="desk",
        steps=["classify"],
        children=leaf,
        params={"fallback": "general"},
    )
    pkg = root / "desk"
    (pkg / "prompts").mkdir(parents=True)
    (root / "wfadvise-answers.yaml").write_text("name: desk\n")  # names the package
    (pkg / "settings.json").write_text(Settings(name="desk", pattern="routing", plan=plan).dump())
    for step in plan.all_steps():
        (pkg / "prompts" / f"{step}.md").write_text(
            f"You handle {step} requests.\n{{input}}\n" * 10
        )
    return root


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        project = str(make_project(Path(tmp)))
        cmds = {
            "import litellm": [py, "-c", "import litellm"],
            "estimate (table)": [
                py,
                "-c",
                "from advisor.cli import main; main()",
                "estimate",
                project,
            ],
            "estimate --json": [
                py,
                "-c",
                "from advisor.cli import main; main()",
                "estimate",
                project,
                "--json",
            ],
        }
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(args.repeat):
            for name, cmd in cmds.items():
                times[name].append(timed(cmd))
    base = statistics.median(times["import litellm"])
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:<18} median {med:6.3f} s   ratio to import litellm {med / base:5.3f}")
    print("target: estimate / import litellm <= 0.15")


if __name__ == "__main__":
    main()
