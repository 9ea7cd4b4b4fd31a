"""The `chat` subcommand of a generated project's CLI (thin: flags to options).

Importing this module imports neither SQLAlchemy nor a model client; `chat` does, when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .project import ChatProject

EXIT_USAGE = 2


def add_chat_command(commands: Any, project: ChatProject) -> None:
    """Add `chat` to the project's subparsers."""
    chat = commands.add_parser(
        "chat", help="Talk with the workflow, one turn per line (the session is stored)."
    )
    chat.add_argument("--session", metavar="ID", help="Continue this stored session.")
    chat.add_argument(
        "--reset", action="store_true", help="Forget the --session's turns and state, then exit."
    )
    chat.add_argument("--db", metavar="URL", help="postgresql://... (default: a file here).")
    chat.add_argument("--mock", action="store_true", help="Use the offline simulated model.")
    chat.add_argument(
        "--mock-latency", type=float, default=0.0, metavar="S", help="Seconds per simulated call."
    )
    chat.add_argument("--model", help="Use this litellm model string for every step.")
    chat.add_argument("--trace", type=Path, metavar="FILE", help="Append a JSONL line per call.")
    chat.add_argument(
        "--approve",
        action="append",
        default=[],
        metavar="TOOL",
        help="Let TOOL run without asking (it needs a person's yes otherwise; repeatable).",
    )
    chat.set_defaults(command=lambda args: _guard(project, args))


def _guard(project: ChatProject, args: argparse.Namespace) -> int:
    """Turn this package's and the store's usage errors into one line and exit 2."""
    from ..volume.errors import VolumeUsageError
    from .errors import ChatUsageError
    from .repl import ChatOptions, chat

    opts = ChatOptions(
        session=args.session,
        reset=args.reset,
        db=args.db,
        mock=args.mock,
        mock_latency=args.mock_latency,
        model=args.model,
        trace=args.trace,
        approve=tuple(args.approve),
    )
    try:
        return chat(project, opts)
    except (ChatUsageError, VolumeUsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
