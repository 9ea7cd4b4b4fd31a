"""The CLI entry point: version, help, and that help stays light."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from advisor import __version__
from advisor.cli import app


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("new", "recommend", "estimate", "update", "patterns"):
        assert command in result.output


def test_help_imports_neither_litellm_nor_copier() -> None:
    code = (
        "import sys\n"
        "from advisor.cli import main\n"
        "sys.argv = ['wfadvise', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('litellm', 'copier') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
