"""Approval beyond agent loops: a step of a known flow named like a tool under `approval` waits
for a person's yes (`run` on a terminal, `run --approve`, `batch --approve`), is refused without
one and every decision is traced; an approval that nothing asks about is a warning."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
from helpers_render import make_project, offline_env

from advisor.answers import load_answers, parse_answers
from advisor.commands.new import spec_from
from advisor.diagnose import diagnose
from runtime.combinators import chain, execute_sync
from runtime.combinators.approval import Approval, gated, terminal_ask
from runtime.combinators.base import named
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import SimulatedModel

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
DRAFT = "[draft_reply]"  # how the simulated model's draft_reply output begins


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
    # The user's own name, so `--approve send_reply` allows it in every category.
    assert _node(rec.composition, "billing_send_reply").params["approval"] == ["send_reply"]
    assert "`--approve send_reply` allows it" in " ".join(rec.reasons)


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


def _draft_then_send(approval: Approval) -> tuple[Any, list[str]]:
    sent: list[str] = []

    async def draft_reply(_run: Run, text: Any) -> Any:
        return f"Dear customer, about {text}: it ships today."

    async def send_reply(_run: Run, text: Any) -> Any:
        sent.append(str(text))
        return "sent"

    flow = chain(named("draft_reply", draft_reply), gated("send_reply", send_reply, approval))
    return execute_sync(flow, Run(simulated=SimulatedModel()), "order A1"), sent


def test_a_refused_step_keeps_the_work_before_it_and_the_outcome_says_not_done() -> None:
    outcome, sent = _draft_then_send(Approval.of([], ask=None))
    assert sent == []
    assert outcome.output == "Dear customer, about order A1: it ships today."
    assert outcome.exit_code == 1 and not outcome.finished
    assert outcome.not_done is not None and outcome.not_done.startswith(NOT_DONE)
    assert "--approve send_reply" in outcome.not_done
    # said once, as a note (stderr as it happens; `run --json` and chat list notes)
    assert [n.message for n in outcome.notes if n.kind == "approval"] == [outcome.not_done]
    declined, _ = _draft_then_send(Approval.of([], ask=lambda *_a, **_k: False))
    assert declined.output.startswith("Dear customer") and declined.exit_code == 1
    assert declined.not_done == "not done: send_reply was declined by the person at the terminal"
    approved, sent = _draft_then_send(Approval.of([], approved=["send_reply"]))
    assert approved.output == "sent" and approved.exit_code == 0 and approved.not_done is None
    assert len(sent) == 1


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_terminal_asks_about_a_step_not_a_tool_the_model_chose() -> None:
    out = io.StringIO()
    ask = terminal_ask(_Tty("y\n"), out)
    assert ask is not None
    assert ask("book_meeting", "", step_input='Tue 3pm with "Ana"') is True
    assert out.getvalue() == (
        "Step 'book_meeting' is about to run on:\nTue 3pm with \"Ana\"\nRun it? [y/N] "
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    spec = spec_from(diagnose(parse_answers(ANSWERS, source="test")))
    return make_project(spec, tmp_path_factory.mktemp("gated"), "desk")


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
    # The request did not fully happen (exit 1), but the draft is the output, not lost.
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(DRAFT) and "not done" not in done.stdout
    (said,) = [line for line in done.stderr.splitlines() if "send_reply" in line]
    assert NOT_DONE in said and "--approve send_reply" in said
    assert "Traceback" not in done.stderr
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
    child.expect(r"Step 'send_reply' is about to run on:\r?\n\[draft_reply\]")
    child.expect(r"Run it\? \[y/N\] ")
    child.sendline(key)
    child.expect(pexpect.EOF)
    shown = str(child.before)
    child.close()
    assert "The model wants" not in shown
    assert child.exitstatus == (0 if approved else 1)
    assert ("[send_reply]" if approved else "not done: send_reply was declined") in shown
    calls, decisions = _trace(trace)
    assert decisions == [{"tool": "send_reply", "approved": approved, "by": "terminal"}]
    assert calls == (["draft_reply", "send_reply"] if approved else ["draft_reply"])


@pytest.mark.slow
def test_a_batch_refuses_unless_approve_names_the_step(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    requests = tmp_path / "in.jsonl"
    requests.write_text('{"id": "a", "input": "hi"}\n{"id": "b", "input": "yo"}\n')
    rows = {}
    for name, extra, code in (("refused", (), 1), ("approved", ("--approve", "send_reply"), 0)):
        out = tmp_path / f"{name}.jsonl"
        done = _cli(project, "batch", str(requests), "--out", str(out), "--mock", *extra)
        assert done.returncode == code, done.stderr
        rows[name] = [json.loads(x) for x in out.read_text().splitlines()]
    for row in rows["refused"]:  # the draft kept, the row says why the request is not done
        assert row["exit"] == 1 and row["output"].startswith(DRAFT)
        assert row["error"].startswith(NOT_DONE) and "--approve send_reply" in row["error"]
    for row in rows["approved"]:
        assert row["exit"] == 0 and row["error"] is None
        assert row["output"].startswith("[send_reply]")
    wrong = _cli(project, "batch", str(requests), "--out", str(tmp_path / "x"), "--approve", "x")
    assert wrong.returncode == 2 and "--approve x: no such tool needs approval" in wrong.stderr


@pytest.mark.slow
def test_the_readme_says_which_steps_ask_first(project: tuple[Path, str]) -> None:
    readme = " ".join((project[0] / "README.md").read_text().split())
    assert "Steps under `approval` (send_reply) ask on the terminal" in readme
    assert "`batch --approve NAME` too" in readme
    assert "the work before it is the output" in readme and "the run exits 1" in readme


@pytest.mark.slow
def test_in_a_category_the_users_own_name_approves_the_step(tmp_path: Path) -> None:
    """`approval: [send_reply]` with the step under category `billing` (so it is named
    `billing_send_reply`): `--approve send_reply`, the name the user wrote, allows it; so does
    the step's own name; the refusal says `--approve send_reply`."""
    answers = {
        **ANSWERS,
        "steps": [],
        "categories": {"billing": ["draft_reply", "send_reply"], "other": ["draft_reply"]},
    }
    spec = spec_from(diagnose(parse_answers(answers, source="test")))
    desk = make_project(spec, tmp_path, "desk")
    # The simulated classifier files some of these under billing (the same ones every run).
    asked = (f"I was charged twice for order {n}" for n in range(8))
    runs = ((text, _cli(desk, "run", "--mock", text)) for text in asked)
    billing, refused = next((t, r) for t, r in runs if r.returncode == 1)
    assert "allow it with `--approve send_reply`" in refused.stderr
    for name in ("send_reply", "Send-Reply", "billing_send_reply"):
        done = _cli(desk, "run", "--mock", "--approve", name, billing)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("[billing_send_reply]")
    wrong = _cli(desk, "run", "--mock", "--approve", "draft_reply", billing)
    assert wrong.returncode == 2
    assert "(those that do: send_reply)" in wrong.stderr
