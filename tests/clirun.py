"""Run `wfadvise` in-process through its real entry point: exit code, stdout, stderr."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from advisor.cli import main


@dataclass
class Result:
    """What a user would see."""

    code: int
    out: str
    err: str


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> Result:
    """`wfadvise ARGS` as `main()` runs it, so user errors become exit codes and one line."""
    old = sys.argv
    sys.argv = ["wfadvise", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return Result(code=code, out=captured.out, err=captured.err)
