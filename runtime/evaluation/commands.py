"""The `eval` subcommand of a generated project's CLI (thin: flags to options)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .project import EvalProject

EXIT_OK, EXIT_USAGE, EXIT_STOPPED = 0, 2, 3


def add_eval_command(commands: Any, project: EvalProject) -> None:
    """Add `eval CASES.jsonl` to the project's subparsers."""
    ev = commands.add_parser(
        "eval", help="Compare this workflow with the rung below or prompt variants on your cases."
    )
    ev.add_argument("cases", type=Path, metavar="CASES.jsonl", help='One {"input", "expected"?}.')
    ev.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="PATTERN",
        help="single-call, or another pattern rendered from the same answers (repeatable).",
    )
    ev.add_argument(
        "--variant",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="A folder of alternative prompt files, named as in prompts/ (repeatable).",
    )
    ev.add_argument("--optimize", metavar="STEP", help="Revise this step's prompt from failures.")
    ev.add_argument("--rounds", type=int, default=3, metavar="N", help="Optimize rounds (3).")
    ev.add_argument("--json", action="store_true", help="Print the report as JSON.")
    ev.add_argument("--chart", type=Path, metavar="FILE", help="Write score-vs-cost as SVG.")
    ev.add_argument("--mock", action="store_true", help="Use the offline simulated model.")
    ev.add_argument("--model", help="Use this litellm model string for every step.")
    ev.add_argument("--judge-model", metavar="MODEL", help="The judge's and optimizer's model.")
    ev.add_argument("--max-usd", type=float, metavar="X", help="Dollar budget for the whole eval.")
    ev.add_argument("--concurrency", type=int, default=4, metavar="N", help="Cases at once (4).")
    ev.add_argument("--trace", type=Path, metavar="FILE", help="Append a JSONL line per call.")
    ev.set_defaults(command=lambda args: _guard(project, args))


def _guard(project: EvalProject, args: argparse.Namespace) -> int:
    """Turn this package's usage errors into one line and exit 2."""
    from .errors import EvalUsageError

    try:
        return _eval(project, args)
    except EvalUsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE


def _eval(project: EvalProject, args: argparse.Namespace) -> int:
    import math

    from ..model_calls.trace import Trace
    from .cases import load_cases
    from .engine import EvalOptions, run_eval
    from .errors import EvalUsageError
    from .optimize import check_rounds
    from .report import svg_chart

    if args.concurrency < 1:
        raise EvalUsageError(f"--concurrency must be at least 1, got {args.concurrency}")
    if args.max_usd is not None and not (math.isfinite(args.max_usd) and args.max_usd > 0):
        raise EvalUsageError(f"--max-usd must be a number above 0, got {args.max_usd}")
    if args.optimize:
        check_rounds(args.rounds)
    if args.chart and args.chart.is_dir():
        raise EvalUsageError(f"--chart {args.chart} is a folder; give a file name such as eval.svg")
    cases = load_cases(args.cases)
    if args.trace is not None:
        Trace(args.trace).close()  # a refused trace path costs no call
    opts = EvalOptions(
        mock=args.mock,
        model=args.model,
        concurrency=args.concurrency,
        trace=args.trace,
        against=list(dict.fromkeys(args.against)),
        variants=args.variant,
        optimize=args.optimize,
        rounds=args.rounds,
        max_usd=args.max_usd,
        judge_model=args.judge_model,
    )
    report = run_eval(project, cases, opts)
    if args.chart:
        args.chart.write_text(svg_chart(report.rows, report.cases), encoding="utf-8")
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        print(report.as_text())
        if args.chart:
            print(f"chart: {args.chart}")
    return EXIT_STOPPED if report.stopped_by else EXIT_OK
