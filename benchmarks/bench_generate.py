"""Time to generate one project (target < 2 s) and the size of a generated project.

    python benchmarks/bench_generate.py [--reps N]

Measures, in one process on this machine: publishing the template store cold (first `new`) and
warm (every later `new`: a fingerprint check), rendering a project through copier, and the
whole `write_project` (render in a temp dir + atomic move), per pattern; then the project's
size with and without the vendored runtime.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers_render import PATTERN_ANSWERS, spec_for

from advisor.commands.new import write_project
from advisor.template_store import publish

TARGET_S = 2.0


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _size(root: Path, *, runtime: bool) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file() and (runtime or "_runtime" not in p.parts)]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    reps = parser.parse_args().reps
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t_import, _ = _timed(lambda: __import__("copier"))
        t_cold, published = _timed(lambda: publish(store=root / "store"))
        t_warm = statistics.median(
            _timed(lambda: publish(store=root / "store"))[0] for _ in range(reps)
        )
        print(f"import copier            {t_import * 1000:8.0f} ms (once per process)")
        print(f"publish store, cold      {t_cold * 1000:8.0f} ms (first `new` on a machine)")
        print(f"publish store, warm      {t_warm * 1000:8.1f} ms (fingerprint check)")
        print()
        head = ("pattern", "new (median)", "/ target", "files", "KiB", "files*", "KiB*")
        print("{:24} {:>13} {:>9} {:>6} {:>7} {:>7} {:>6}".format(*head))
        worst = 0.0
        for pattern, answers in PATTERN_ANSWERS.items():
            spec = spec_for(answers)
            times = []
            for i in range(reps):
                dest = root / f"{pattern}-{i}"
                dt, made = _timed(lambda d=dest, s=spec: write_project(s, d, published=published))
                times.append(dt)
            median = statistics.median(times)
            worst = max(worst, median)
            n_all, b_all = _size(made.path, runtime=True)
            n_own, b_own = _size(made.path, runtime=False)
            print(
                f"{pattern:24} {median * 1000:10.0f} ms {median / TARGET_S:9.2f} "
                f"{n_all:6d} {b_all / 1024:7.1f} {n_own:7d} {b_own / 1024:6.1f}"
            )
        print()
        print("* without the vendored runtime (PKG/_runtime/)")
        print(f"slowest pattern: {worst:.2f} s = {worst / TARGET_S:.2f} x the 2 s target")
        cli = statistics.median(_cli_new(root, i) for i in range(reps))
        print(f"`wfadvise new` as a command (fresh process): {cli:.2f} s = {cli / TARGET_S:.2f} x")


def _cli_new(root: Path, i: int) -> float:
    """Wall time of the real command, interpreter start and imports included."""
    answers = root / "answers.json"
    answers.write_text(json.dumps(PATTERN_ANSWERS["routing"]))
    env = os.environ | {"WFADVISE_TEMPLATE_STORE": str(root / "store")}
    wfadvise = str(Path(sys.executable).parent / "wfadvise")
    cmd = [wfadvise, "new", str(root / f"cli-{i}"), "-a", str(answers)]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
