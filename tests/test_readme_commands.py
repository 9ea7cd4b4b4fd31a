"""The README's and docs/answers.md's commands run as written, and their answers examples are
valid: a reader who copies them gets what the text promises."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from advisor.answers import parse_answers
from advisor.diagnose import diagnose

ROOT = Path(__file__).resolve().parent.parent
WFADVISE = Path(sys.executable).parent / "wfadvise"
DOCS = [ROOT / "README.md", ROOT / "docs" / "answers.md"]
SETUP = {"python3", ".", "pip"}  # making the environment this suite already runs in


def blocks(path: Path, language: str) -> list[str]:
    """The bodies of the fenced code blocks of one language."""
    text = path.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def command_lines(path: Path) -> list[str]:
    return [
        line.strip()
        for body in blocks(path, "bash")
        for line in body.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def run_line(line: str, base: Path, env: dict[str, str]) -> None:
    """One line as a shell would run it: `&&`-joined commands, `cd` moving the rest."""
    cwd = base
    for segment in line.split(" && "):
        argv = shlex.split(segment, comments=True)
        if not argv or argv[0] in SETUP or argv == ["pytest"]:
            continue
        if argv[0] == "cd":
            cwd = cwd / argv[1]
            continue
        if argv[0] == "wfadvise":
            argv[0] = str(WFADVISE)
        elif argv[0] == "python":
            argv[0] = sys.executable
        proc = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        assert proc.returncode == 0, f"`{segment}` exited {proc.returncode}:\n{proc.stderr}"
        assert "Traceback" not in proc.stderr


LINES = [line for doc in DOCS for line in command_lines(doc)]
PROJECT = "my-desk"
"""The folder the README's walk-through makes; the lines that name it run in order, in one test."""
needs_wfadvise = pytest.mark.skipif(
    not WFADVISE.exists(), reason="wfadvise is not installed in this venv"
)


def reader_env(tmp_path: Path) -> dict[str, str]:
    """A reader's shell in a clone: the examples at hand, git configured, no API key."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {
        **os.environ,
        "WFADVISE_TEMPLATE_STORE": str(tmp_path / ".store"),
        "GIT_AUTHOR_NAME": "reader",
        "GIT_AUTHOR_EMAIL": "reader@example.com",
        "GIT_COMMITTER_NAME": "reader",
        "GIT_COMMITTER_EMAIL": "reader@example.com",
        "COLUMNS": "80",
    }
    return {k: v for k, v in env.items() if not k.endswith("_API_KEY")}


def test_the_docs_show_every_command() -> None:
    assert sum(line.startswith("wfadvise ") for line in LINES) >= 8
    for command in ("new", "recommend", "patterns", "estimate", "update"):
        assert any(f"wfadvise {command}" in line for line in LINES), command


@needs_wfadvise
@pytest.mark.parametrize("line", [line for line in LINES if PROJECT not in line])
def test_every_standalone_command_in_the_docs_runs_as_written(line: str, tmp_path: Path) -> None:
    """The lines that need no project: one test each, so xdist workers share them."""
    run_line(line, tmp_path, reader_env(tmp_path))


@pytest.mark.slow
@needs_wfadvise
def test_the_docs_walk_through_of_a_project_runs_as_written(tmp_path: Path) -> None:
    """The lines that make, run, estimate and update `my-desk`, in the docs' order."""
    env = reader_env(tmp_path)
    walk = [line for line in LINES if PROJECT in line]
    assert any(line.startswith(f"cd {PROJECT} ") for line in walk)
    for line in walk:
        run_line(line, tmp_path, env)
    assert (tmp_path / PROJECT / "wfadvise-answers.yaml").is_file()


@pytest.mark.parametrize("body", blocks(DOCS[1], "yaml"))
def test_every_answers_example_in_the_docs_is_valid(body: str) -> None:
    rec = diagnose(parse_answers(yaml.safe_load(body), source="docs/answers.md"))
    assert rec.reasons


def test_the_docs_point_inside_the_repository() -> None:
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert "../shared" not in text and "CONTRACTS.md" not in text, doc
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if not target.startswith("http"):
                assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
