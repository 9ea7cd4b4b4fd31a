"""Approval in a generated project: `python -m PKG run` asks on a terminal, refuses without one
unless `--approve TOOL`, and traces every decision (examples/approved-refunds.yaml)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from helpers_render import example_spec, make_project, offline_env

from advisor.answers import load_answers
from advisor.diagnose import diagnose

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).parent.parent / "examples" / "approved-refunds.yaml"
# Offline, the simulated agent calls its tools in order: lookup_order, then issue_refund.
ARGS = ("run", "--mock", "refund order A1", "--json")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return make_project(example_spec(EXAMPLE), tmp_path_factory.mktemp("approval"), "desk")


def _run(project: tuple[Path, str], *extra: str) -> subprocess.CompletedProcess[str]:
    path, package = project
    return subprocess.run(
        [sys.executable, "-m", package, *ARGS, *extra],
        cwd=path,
        env=offline_env(),
        stdin=subprocess.DEVNULL,  # not a terminal: nobody to ask
        capture_output=True,
        text=True,
        timeout=120,
    )


def _decisions(trace: Path) -> list[dict[str, object]]:
    lines = [json.loads(x) for x in trace.read_text().splitlines()]
    return [x["approval"] for x in lines if "approval" in x]


def test_settings_list_the_tools_that_need_approval(project: tuple[Path, str]) -> None:
    path, package = project
    settings = json.loads((path / package / "settings.json").read_text())
    assert settings["plan"]["params"]["approval"] == ["issue_refund"]


def test_without_a_terminal_the_refund_is_refused_and_traced(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    trace = tmp_path / "t.jsonl"
    done = _run(project, "--trace", str(trace))
    assert done.returncode == 1, done.stderr  # the refund did not happen: the request is not done
    doc = json.loads(done.stdout)
    notes = doc["notes"]
    assert any("'issue_refund' refused by no terminal" in n for n in notes), notes
    assert "not done: issue_refund" in doc["error"] and "--approve issue_refund" in doc["error"]
    assert _decisions(trace) == [{"tool": "issue_refund", "approved": False, "by": "no terminal"}]


def test_approve_on_the_command_line_lets_it_run(project: tuple[Path, str], tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    done = _run(project, "--approve", "issue_refund", "--trace", str(trace))
    assert done.returncode == 0, done.stderr
    assert _decisions(trace) == [{"tool": "issue_refund", "approved": True, "by": "flag"}]


def test_approve_takes_the_name_as_a_person_writes_it(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    trace = tmp_path / "t.jsonl"
    done = _run(project, "--approve", "Issue-Refund", "--trace", str(trace))
    assert done.returncode == 0, done.stderr
    assert _decisions(trace) == [{"tool": "issue_refund", "approved": True, "by": "flag"}]


def test_approving_a_tool_that_needs_no_approval_exits_2(project: tuple[Path, str]) -> None:
    done = _run(project, "--approve", "lookup_order")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: --approve lookup_order: no such tool needs approval (those that do: issue_refund)"
    ]


@pytest.mark.parametrize(("key", "approved"), [("y", True), ("n", False)])
def test_a_person_at_the_terminal_sees_the_arguments_and_decides(
    project: tuple[Path, str], tmp_path: Path, key: str, approved: bool
) -> None:
    path, package = project
    trace = tmp_path / "t.jsonl"
    child = pexpect.spawn(
        sys.executable,
        ["-m", package, *ARGS, "--trace", str(trace)],
        cwd=str(path),
        env=offline_env(),
        encoding="utf-8",
        timeout=60,
    )
    child.expect(r"tool 'issue_refund' with arguments \{.*\}")
    child.expect(r"Allow it\? \[y/N\] ")
    child.sendline(key)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == (0 if approved else 1)  # declined: the refund did not happen
    assert _decisions(trace) == [{"tool": "issue_refund", "approved": approved, "by": "terminal"}]


def test_the_advice_says_who_approves_in_the_users_words() -> None:
    rec = diagnose(load_answers(EXAMPLE))
    why = " ".join(rec.reasons)
    assert "Before issue_refund runs, a person says yes" in why and "--approve TOOL" in why
    assert not any("approval" in w for w in rec.warnings)
