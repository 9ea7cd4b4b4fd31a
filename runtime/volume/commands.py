"""The `batch` and `worker` subcommands of a generated project's CLI (thin: flags to options).

Importing this module imports neither DBOS nor SQLAlchemy; the commands do, when they run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .project import Project

EXIT_USAGE = 2


def add_volume_commands(commands: Any, project: Project) -> None:
    """Add `batch` and `worker` to the project's subparsers."""
    batch = commands.add_parser("batch", help="Run a file of requests, durably (resumable).")
    batch.add_argument(
        "input", type=Path, metavar="INPUT.jsonl", help='One {"id", "input"} a line.'
    )
    batch.add_argument("--out", type=Path, required=True, metavar="OUT.jsonl", help="Rows go here.")
    batch.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="Requests at once, all processes."
    )
    batch.add_argument(
        "--rpm",
        type=int,
        metavar="N",
        help="Model requests per minute (per --rate-window), all processes.",
    )
    batch.add_argument(
        "--tpm", type=int, metavar="N", help="Tokens per minute (per --rate-window), all processes."
    )
    batch.add_argument(
        "--rate-window",
        type=float,
        default=60.0,
        metavar="S",
        help="Seconds --rpm/--tpm count over.",
    )
    batch.add_argument(
        "--max-usd", type=float, metavar="X", help="Dollar budget for the whole batch."
    )
    batch.add_argument("--db", metavar="URL", help="postgresql://... to share with workers.")
    batch.add_argument("--mock", action="store_true", help="Use the offline simulated model.")
    batch.add_argument(
        "--mock-latency", type=float, default=0.0, metavar="S", help="Seconds per simulated call."
    )
    batch.add_argument("--model", help="Use this litellm model string for every step.")
    batch.add_argument(
        "--approve",
        action="append",
        default=[],
        metavar="TOOL",
        help="Let TOOL run; a tool that needs a person's yes is refused otherwise (repeatable).",
    )
    batch.set_defaults(command=lambda args: _guard(_batch, project, args))
    worker = commands.add_parser("worker", help="Work the queue of a shared batch database.")
    worker.add_argument("--db", metavar="URL", help="The database `batch --db` was given.")
    worker.set_defaults(command=lambda args: _guard(_worker, project, args))


def _batch(project: Project, args: argparse.Namespace) -> int:
    from .batch import BatchOptions, run_batch

    opts = BatchOptions(
        input=args.input,
        out=args.out,
        concurrency=args.concurrency,
        rpm=args.rpm,
        tpm=args.tpm,
        max_usd=args.max_usd,
        db=args.db,
        mock=args.mock,
        mock_latency=args.mock_latency,
        model=args.model,
        period_s=args.rate_window,
        approve=tuple(args.approve),
    )
    return run_batch(project, opts)


def _worker(project: Project, args: argparse.Namespace) -> int:
    from .batch import run_worker

    return run_worker(project, args.db)


def _guard(command: Any, project: Project, args: argparse.Namespace) -> int:
    """Turn this package's usage errors into one line and exit 2."""
    from .errors import VolumeUsageError

    try:
        code: int = command(project, args)
    except VolumeUsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return code
