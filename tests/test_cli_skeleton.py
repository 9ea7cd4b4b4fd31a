"""The CLI entry point: version, help, and that help stays light."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
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


# --- every usage mistake, through the installed entry point ---------------------------------

WFADVISE = Path(sys.executable).parent / "wfadvise"

USAGE_MISTAKES = [
    (["nosuch"], "No such command"),
    (["--bogus"], "No such option"),
    (["new"], "Missing argument 'DIR'"),
    (["new", "x", "--bogus"], "No such option"),
    (["new", "x", "--answers"], "requires an argument"),
    (["recommend", "extra"], "unexpected extra argument"),
    (["recommend", "--answers"], "requires an argument"),
    (["recommend", "--json=3"], "does not take a value"),
    (["patterns", "a", "b"], "unexpected extra argument"),
    (["estimate", "--volume", "abc"], "'--volume'"),
    (["estimate", "--volume", "-5"], "'--volume'"),
    (["estimate", "--input-tokens", "0"], "'--input-tokens'"),
    (["update"], "Missing argument 'DIR'"),
]


@pytest.mark.skipif(not WFADVISE.exists(), reason="wfadvise is not installed in this venv")
@pytest.mark.parametrize(
    ("args", "said"), USAGE_MISTAKES, ids=[" ".join(a) for a, _ in USAGE_MISTAKES]
)
def test_a_usage_mistake_exits_2_with_a_short_message(args: list[str], said: str) -> None:
    proc = subprocess.run(
        [str(WFADVISE), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert said.lower() in proc.stderr.lower()
    assert len(proc.stderr.strip().splitlines()) <= 5  # a usage line, a hint, the error
    assert proc.stdout == ""


@pytest.mark.skipif(not WFADVISE.exists(), reason="wfadvise is not installed in this venv")
def test_wfadvise_alone_prints_help() -> None:
    proc = subprocess.run([str(WFADVISE)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for command in ("new", "recommend", "estimate", "update", "patterns"):
        assert command in proc.stdout
    assert "docs/answers.md" in proc.stdout


def test_usage_errors_are_recognised_whichever_click_typer_bundles() -> None:
    import typer

    from advisor.cli import _is_usage_error

    assert _is_usage_error(typer.BadParameter("x"))

    class ForeignUsageError(Exception):  # a click exception from another copy of click
        exit_code = 2

        def show(self) -> None:
            pass

    assert _is_usage_error(ForeignUsageError())
    assert not _is_usage_error(ValueError("a bug, not a usage mistake"))


def test_shell_completion_is_offered_and_completes_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert "--install-completion" in result.output
    env = {**os.environ, "_WFADVISE_COMPLETE": "complete_bash", "COMP_WORDS": "wfadvise ne"}
    env["COMP_CWORD"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", "from advisor.cli import main; main()"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.stdout.split() == ["new"], proc.stderr


@pytest.mark.parametrize("command", ["new", "recommend"])
def test_help_shows_an_answers_example_without_the_docs(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    words = " ".join(result.output.split())
    assert "steps=[draft, review]" in words and "name: desk" in words
    assert "docs/answers.md" in words
