"""Time `wfadvise recommend`: the diagnosis priced with the prompts the project will have.

Run: python benchmarks/bench_recommend_speed.py [--repeat 5]

Pricing reads the prompt texts the template writes (rendered in memory by
advisor/prompt_texts.py); "bare" is the same code with `prompt_texts` returning no texts (the
default prompt size, as before), so the ratio is what the rendering costs. Both are timed
alternately so machine noise hits both alike; medians.

In-process: per example, `diagnose` (the recommendation, priced) and the recommend screen's
work (every alternative pattern diagnosed and priced). As processes: `wfadvise recommend
--answers examples/routed-desk.yaml --json` (it also imports jinja2, which bare never does).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor import costs, prompt_texts  # noqa: E402 - after the path insert
from advisor.answers import Answers, load_answers  # noqa: E402
from advisor.costs import alternatives, usd_by_pattern  # noqa: E402
from advisor.diagnose import diagnose  # noqa: E402

BARE = (
    "import advisor.prompt_texts as p, advisor.costs as c; "
    "p.prompt_texts = c.prompt_texts = lambda rec: {}; "
)
"""Python run before the CLI for the bare timing: every recommendation priced without texts."""

EXAMPLES = ["routed-desk", "cascade-support", "planned-research", "chat-tutor", "code-criteria"]


def alternately(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds of each function, the functions run in turn `repeat` times."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def bare(fn: Callable[[], object]) -> Callable[[], object]:
    """`fn` with every recommendation priced on no prompt texts (the default size)."""

    def run() -> object:
        real = prompt_texts.prompt_texts
        prompt_texts.prompt_texts = costs.prompt_texts = lambda rec: {}
        try:
            return fn()
        finally:
            prompt_texts.prompt_texts = costs.prompt_texts = real

    return run


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    head = f"{'example':<18} {'diagnose ms':>12} {'bare':>6} {'ratio':>6}"
    print(f"{head} {'screen ms':>10} {'bare':>6} {'ratio':>6}")
    for name in EXAMPLES:
        answers = load_answers(ROOT / "examples" / f"{name}.yaml")
        diagnose(answers)  # warm caches (templates compiled once per process)

        def one(a: Answers = answers) -> object:
            return diagnose(a)

        def screen(a: Answers = answers) -> object:
            return usd_by_pattern(alternatives(diagnose(a)))

        t = alternately(
            {"one": one, "one0": bare(one), "screen": screen, "screen0": bare(screen)},
            args.repeat * 4,
        )
        print(
            f"{name:<18} {t['one'] * 1000:>12.1f} {t['one0'] * 1000:>6.1f} "
            f"{t['one'] / t['one0']:>6.2f} {t['screen'] * 1000:>10.1f} "
            f"{t['screen0'] * 1000:>6.1f} {t['screen'] / t['screen0']:>6.2f}"
        )
    py = sys.executable
    example = str(ROOT / "examples" / "routed-desk.yaml")
    tail = "from advisor.cli import main; main()"
    argv = ["recommend", "--answers", example, "--json"]
    t = alternately(
        {
            "priced": lambda: timed([py, "-c", tail, *argv]),
            "bare": lambda: timed([py, "-c", BARE + tail, *argv]),
        },
        args.repeat,
    )
    print(
        f"recommend --json: {t['priced'] * 1000:.0f} ms, bare {t['bare'] * 1000:.0f} ms, "
        f"ratio {t['priced'] / t['bare']:.2f}"
    )


if __name__ == "__main__":
    main()
