"""`wfadvise --help` wall time as a ratio of `python -c "import litellm"` (target <= 0.15).

Run: python benchmarks/bench_help.py [--repeat 5]

Each command runs in a fresh interpreter; the median of the repeats is compared, with the
two commands interleaved so load from other processes hits both alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def wall(cmd: list[str]) -> float:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main(repeat: int) -> None:
    exe = shutil.which("wfadvise", path=os.path.dirname(sys.executable)) or "wfadvise"
    help_cmd = [exe, "--help"]
    import_cmd = [sys.executable, "-c", "import litellm"]
    wall(help_cmd), wall(import_cmd)  # warm the file cache
    helps, imports = [], []
    for _ in range(repeat):
        helps.append(wall(help_cmd))
        imports.append(wall(import_cmd))
    h, i = statistics.median(helps), statistics.median(imports)
    print(f"wfadvise --help:        {h * 1e3:.0f} ms (median of {repeat})")
    print(f'python -c "import litellm": {i * 1e3:.0f} ms (median of {repeat})')
    print(f"ratio help/litellm:     {h / i:.3f}   (target <= 0.15)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    main(parser.parse_args().repeat)
