"""Approval beyond agent loops: a step of a known flow named like a tool under `approval` waits
for a person's yes (`run` on a terminal, `run --approve`, `batch --approve`), is refused without
one and every decision is traced; an approval that nothing asks about is a warning."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
from helpers_render import offline_env

from advisor.answers import load_answers, parse_answers
from advisor.commands.new import spec_from, write_project
from advisor.diagnose import diagnose
from advisor.template_store import publish

EXAMPLES = Path(__file__).parent.parent / "examples"
ANSWERS: dict[str, Any] = {
    "schema": 2,
    "name": "reply-desk",
    "task": "Draft a reply to a customer and send it",
    "steps": ["draft_reply", "send_reply"],
    "tools": ["send_reply"],
    "approval": ["send_reply"],
    "volume_per_day": 2000,  # batch and worker are generated
}
NOT_DONE = "not done: send_reply needs a person's yes"


def _node(tree: Any, step: str) -> Any:
    return next(n for n in tree.walk() if n.steps == [step])


def test_a_step_named_like_an_approval_tool_asks_first_and_the_advice_says_so() -> None:
    rec = diagnose(parse_answers(ANSWERS, source="test"))
    assert _node(rec.composition, "send_reply").params["approval"] == ["send_reply"]
    assert "approval" not in _node(rec.composition, "draft_reply").params
    why = " ".join(rec.reasons)
    assert "send_reply acts outside the system" in why and "--approve send_reply" in why
    assert not any("nothing asks" in w for w in rec.warnings)


def test_each_categorys_action_step_asks_first() -> None:
    answers = {
        **ANSWERS,
        "steps": [],
        "categories": {"billing": ["draft_reply", "send_reply"], "other": ["draft_reply"]},
    }
    rec = diagnose(parse_answers(answers, source="test"))
    assert _node(rec.composition, "billing_send_reply").params["approval"] == ["billing_send_reply"]


def test_an_approval_no_step_or_agent_acts_on_is_a_warning() -> None:
    answers = {**ANSWERS, "steps": ["draft_reply", "check_tone"]}  # nothing named send_reply
    rec = diagnose(parse_answers(answers, source="test"))
    (warning,) = [w for w in rec.warnings if "nothing asks" in w]
    assert "send_reply" in warning and "flow: known" in warning
    calendar = diagnose(load_answers(EXAMPLES / "guarded-action.yaml"))
    assert _node(calendar.composition, "book_meeting").params["approval"] == ["book_meeting"]
    assert calendar.warnings == []
    agent = diagnose(load_answers(EXAMPLES / "approved-refunds.yaml"))
    assert not any("nothing asks" in w for w in agent.warnings)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("gated")
    spec = spec_from(diagnose(parse_answers(ANSWERS, source="test")))
    made = write_project(spec, root / "desk", published=publish(store=root / "store"))
    return made.path, made.package


def _cli(project: tuple[Path, str], *args: str) -> subprocess.CompletedProcess[str]:
    path, package = project
    return subprocess.run(
        [sys.executable, "-m", package, *args],
        cwd=path,
        env=offline_env(),
        stdin=subprocess.DEVNULL,  # not a terminal: nobody to ask
        capture_output=True,
        text=True,
        timeout=180,
    )


def _trace(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    calls = [str(x["step"]).rsplit(">", 1)[-1] for x in lines if "step" in x]
    return calls, [x["approval"] for x in lines if "approval" in x]


@pytest.mark.slow
def test_without_a_terminal_the_step_does_not_run_and_the_refusal_is_traced(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    trace = tmp_path / "t.jsonl"
    done = _cli(project, "run", "--mock", "--trace", str(trace), "Where is my parcel?")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(NOT_DONE) and "--approve send_reply" in done.stdout
    calls, decisions = _trace(trace)
    assert calls == ["draft_reply"]  # send_reply's model was never called
    assert decisions == [{"tool": "send_reply", "approved": False, "by": "no terminal"}]


@pytest.mark.slow
def test_approve_on_the_command_line_lets_the_step_run(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    trace = tmp_path / "t.jsonl"
    done = _cli(project, "run", "--mock", "--trace", str(trace), "--approve", "Send-Reply", "hi")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[send_reply]")
    calls, decisions = _trace(trace)
    assert calls == ["draft_reply", "send_reply"]
    assert decisions == [{"tool": "send_reply", "approved": True, "by": "flag"}]
    wrong = _cli(project, "run", "--mock", "--approve", "draft_reply", "hi")
    assert wrong.returncode == 2
    assert "--approve draft_reply: no such tool needs approval (those that do: send_reply)" in (
        wrong.stderr
    )


@pytest.mark.slow
@pytest.mark.parametrize(("key", "approved"), [("y", True), ("n", False)])
def test_a_person_at_the_terminal_sees_the_input_and_decides(
    project: tuple[Path, str], tmp_path: Path, key: str, approved: bool
) -> None:
    path, package = project
    trace = tmp_path / "t.jsonl"
    child = pexpect.spawn(
        sys.executable,
        ["-m", package, "run", "--mock", "--trace", str(trace), "Where is my parcel?"],
        cwd=str(path),
        env=offline_env(),
        encoding="utf-8",
        timeout=60,
    )
    child.expect(r"'send_reply' with arguments \{\"input\": \"\[draft_reply\]")
    child.expect(r"Allow it\? \[y/N\] ")
    child.sendline(key)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    calls, decisions = _trace(trace)
    assert decisions == [{"tool": "send_reply", "approved": approved, "by": "terminal"}]
    assert calls == (["draft_reply", "send_reply"] if approved else ["draft_reply"])


@pytest.mark.slow
def test_a_batch_refuses_unless_approve_names_the_step(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    requests = tmp_path / "in.jsonl"
    requests.write_text('{"id": "a", "input": "hi"}\n{"id": "b", "input": "yo"}\n')
    outputs = {}
    for name, extra in (("refused", ()), ("approved", ("--approve", "send_reply"))):
        out = tmp_path / f"{name}.jsonl"
        done = _cli(project, "batch", str(requests), "--out", str(out), "--mock", *extra)
        assert done.returncode == 0, done.stderr
        outputs[name] = [json.loads(x)["output"] for x in out.read_text().splitlines()]
    assert all(o.startswith(NOT_DONE) for o in outputs["refused"])
    assert all(o.startswith("[send_reply]") for o in outputs["approved"])
    wrong = _cli(project, "batch", str(requests), "--out", str(tmp_path / "x"), "--approve", "x")
    assert wrong.returncode == 2 and "--approve x: no such tool needs approval" in wrong.stderr


@pytest.mark.slow
def test_the_readme_says_which_steps_ask_first(project: tuple[Path, str]) -> None:
    readme = " ".join((project[0] / "README.md").read_text().split())
    assert "Steps under `approval` (send_reply) ask on the terminal" in readme
    assert "`batch --approve NAME` too" in readme
