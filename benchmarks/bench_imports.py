"""Modules imported and wall time of `run --mock` on a single-call project, before vs. now.

Run: python benchmarks/bench_imports.py [--before REV] [--after REV] [--repeat 5]

"Before" is the repository at git revision REV (default: the last commit before imports were
made lazy), extracted with `git archive`; "now" is the working tree (or --after REV). Each side
renders the single-call example with its own advisor and template, then runs the generated project's
`python -m PKG run --mock TEXT` in fresh interpreters. Reported per side:

- modules in sys.modules after the run, all of them and those imported after interpreter
  start-up (site, encodings: the same on both sides), split into the project's own (its
  package and vendored runtime), pydantic's, and the rest (stdlib and other libraries);
- the tokenizer's first count in a fresh process (the o200k file parsed, or read from the
  binary cache), and the median wall time of the whole command.

Both sides run interleaved, so load from other processes hits them alike. Targets (issue 13):
modules imported <= 1/3 of before.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "single-call.yaml"
BEFORE = "d1a6b98"  # the last commit before lazy imports and the tokenizer cache
TEXT = "A customer asks about an invoice."

# Runs the project's CLI in-process and reports what it imported (stdout of the run discarded).
COUNT_DRIVER = """
import contextlib, io, json, sys
start = set(sys.modules)
package = sys.argv[1]
main = __import__(package + ".__main__", fromlist=["main"]).main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["run", "--mock", sys.argv[2]])
mods = set(sys.modules)
new = mods - start
def share(prefix):
    return sum(1 for m in new if m == prefix or m.startswith(prefix + "."))
print(json.dumps({
    "code": code, "total": len(mods), "imported": len(new), "project": share(package),
    "pydantic": share("pydantic") + share("pydantic_core"),
    "heavy": sorted(m for m in ("litellm", "openai", "httpx", "rich", "tiktoken") if m in mods),
}))
"""
TOKENIZER_DRIVER = """
import os, time
# By file, not by trying imports: the editable install would serve a module missing here.
if os.path.exists("runtime/model_calls/tokens.py"):
    from runtime.model_calls.tokens import count_text
else:  # the layout before runtime/model_calls/
    from runtime.tokens import count_text
start = time.perf_counter()
count_text("warm up the tokenizer")
print(time.perf_counter() - start)
"""


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    base.pop("PYTHONPATH", None)
    quiet = {"WFADVISE_ALLOW_MODEL_REQUESTS": "0", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return base | quiet | extra


def checkout(rev: str, into: Path) -> Path:
    """The repository at `rev`, extracted (no git worktree, nothing changes in the repo)."""
    data = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(data.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def render(root: Path, dest: Path) -> tuple[Path, str]:
    """The single-call example rendered by the advisor found at `root`; (project, package)."""
    code = (
        "import sys; from advisor.cli import main; "
        f"sys.argv = ['wfadvise', 'new', '--answers', {str(EXAMPLE)!r}, {str(dest)!r}]; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env(PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"rendering with the advisor at {root} failed:\n{done.stderr[-2000:]}")
    (package,) = [p.parent.name for p in dest.glob("*/__main__.py")]
    return dest, package


def counts(project: Path, package: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", COUNT_DRIVER, package, TEXT],
        cwd=project,
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def wall(project: Path, package: str, cache: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", package, "run", "--mock", TEXT],
        cwd=project,
        env=env(WFADVISE_CACHE_DIR=str(cache)),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def first_count(root: Path, cache: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TOKENIZER_DRIVER],
        cwd=root,
        env=env(PYTHONPATH=str(root), WFADVISE_CACHE_DIR=str(cache)),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def main(before_rev: str, after_rev: str | None, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sides = {
            "before": checkout(before_rev, tmp / "before"),
            "now": checkout(after_rev, tmp / "after") if after_rev else ROOT,
        }
        projects = {name: render(root, tmp / f"project-{name}") for name, root in sides.items()}
        cache = tmp / "cache"
        for project, package in projects.values():
            wall(project, package, cache)  # warm the file cache and the tokenizer cache
        walls: dict[str, list[float]] = {name: [] for name in sides}
        tokenizer: dict[str, list[float]] = {name: [] for name in sides}
        cold: list[float] = []
        for i in range(repeat):
            for name, root in sides.items():
                walls[name].append(wall(*projects[name], cache))
                tokenizer[name].append(first_count(root, cache))
            # An empty cache: parse the BPE file and write the cache.
            cold.append(first_count(sides["now"], tmp / f"cold-{i}"))
        report(
            {name: counts(*projects[name]) for name in sides},
            {name: statistics.median(v) for name, v in walls.items()},
            {name: statistics.median(v) for name, v in tokenizer.items()},
            statistics.median(cold),
            repeat,
            f"{before_rev}, now = {after_rev or 'working tree'}",
        )


def row(label: str, before: float, now: float, unit: float = 1.0) -> None:
    print(f"{label:38}{before * unit:>10.0f}{now * unit:>10.0f}{now / before:>12.2f}")


def report(
    found: dict[str, dict[str, object]],
    walls: dict[str, float],
    tokenizer: dict[str, float],
    cold: float,
    repeat: int,
    rev: str,
) -> None:
    b = {k: v for k, v in found["before"].items() if isinstance(v, int)}
    n = {k: v for k, v in found["now"].items() if isinstance(v, int)}
    for side in (b, n):
        side["other"] = side["imported"] - side["project"] - side["pydantic"]
    print(f"`run --mock` of the single-call example; before = {rev}")
    print(f"{'':38}{'before':>10}{'now':>10}{'now/before':>12}")
    row("modules in sys.modules", b["total"], n["total"])
    row("  imported after interpreter start-up", b["imported"], n["imported"])
    row("    the project's (package, _runtime)", b["project"], n["project"])
    row("    pydantic, pydantic_core", b["pydantic"], n["pydantic"])
    row("    other (stdlib, tiktoken, ...)", b["other"], n["other"])
    print(f"heavy libraries: before {found['before']['heavy']}, now {found['now']['heavy']}")
    row("tokenizer's first count (ms)", tokenizer["before"], tokenizer["now"], 1e3)
    row("  now with an empty cache (ms)", tokenizer["before"], cold, 1e3)
    row("wall time of the command (ms)", walls["before"], walls["now"], 1e3)
    print(f"(medians of {repeat}, interleaved; target: imported modules now/before <= 0.33)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git revision to compare with")
    parser.add_argument("--after", help="git revision to measure instead of the working tree")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    main(args.before, args.after, args.repeat)
