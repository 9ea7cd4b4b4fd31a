"""Approval: a listed tool runs only after a person's yes; every decision is noted and traced."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from runtime.combinators import agent_loop, execute_sync
from runtime.combinators.approval import Approval, terminal_ask
from runtime.combinators.errors import NotDone
from runtime.estimate.calibrate import read_runs
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel

REFUNDS: list[str] = []


def issue_refund(order: str, amount: float) -> str:
    """Refund an order."""
    REFUNDS.append(order)
    return f"refunded {amount} on {order}"


def lookup(order: str) -> str:
    """Look an order up."""
    return f"{order}: paid"


SCRIPT = [
    Reply(tool_calls=[("lookup", {"order": "A1"})]),
    Reply(tool_calls=[("issue_refund", {"order": "A1", "amount": 12.5})]),
    "done",
]


def _run(approval: Approval, trace: Path | None = None) -> tuple[list[str], Run]:
    REFUNDS.clear()
    run = Run(simulated=SimulatedModel(script={"agent": list(SCRIPT)}), trace=trace)
    step = agent_loop("agent", [lookup, issue_refund], max_steps=5, approval=approval)
    with run:
        try:
            result = asyncio.run(step(run, "refund A1"))
        except NotDone as refused:  # the refund never ran: the agent's words are kept
            result = refused.output
    return [m["content"] for m in result.messages if m["role"] == "tool"], run


def test_without_a_terminal_the_tool_is_refused_and_the_model_reads_why() -> None:
    replies, _ = _run(Approval.of(["issue_refund"]))
    assert replies[0] == "A1: paid"  # a tool not listed runs without asking
    assert replies[1].startswith("refused:") and "--approve issue_refund" in replies[1]
    assert REFUNDS == []


def test_approved_on_the_command_line_the_tool_runs() -> None:
    replies, _ = _run(Approval.of(["issue_refund"], approved=["issue_refund"]))
    assert replies[1] == "refunded 12.5 on A1" and REFUNDS == ["A1"]


@pytest.mark.parametrize(("answer", "runs"), [(True, True), (False, False)])
def test_the_person_is_shown_the_tool_and_its_arguments(answer: bool, runs: bool) -> None:
    asked: list[tuple[str, dict[str, object]]] = []

    def ask(name: str, arguments: str) -> bool:
        asked.append((name, json.loads(arguments)))
        return answer

    replies, _ = _run(Approval.of(["issue_refund"], ask=ask))
    assert asked == [("issue_refund", {"order": "A1", "amount": 12.5})]
    assert (REFUNDS == ["A1"]) is runs
    assert replies[1].startswith("refused: the person declined") is not runs


def test_every_decision_is_in_the_trace_and_the_estimate_still_reads_it(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    _run(Approval.of(["issue_refund"]), trace)
    _run(Approval.of(["issue_refund"], approved=["issue_refund"]), trace)
    _run(Approval.of(["issue_refund"], ask=lambda _n, _a: True), trace)
    lines = [json.loads(x) for x in trace.read_text().splitlines()]
    decisions = [x["approval"] for x in lines if "approval" in x]
    assert decisions == [
        {"tool": "issue_refund", "approved": False, "by": "no terminal"},
        {"tool": "issue_refund", "approved": True, "by": "flag"},
        {"tool": "issue_refund", "approved": True, "by": "terminal"},
    ]
    runs = read_runs(trace)
    assert [len(r.calls) for r in runs] == [3, 3, 3]  # decisions are not counted as calls


def test_the_decision_is_a_visible_note() -> None:
    REFUNDS.clear()
    run = Run(simulated=SimulatedModel(script={"agent": list(SCRIPT)}))
    step = agent_loop(
        "agent", [lookup, issue_refund], max_steps=5, approval=Approval.of(["issue_refund"])
    )
    outcome = execute_sync(step, run, "refund A1")
    assert [n.message for n in outcome.notes if n.kind == "approval"] == [
        "tool 'issue_refund' refused by no terminal",
        "not done: issue_refund was refused: it needs a person's yes and no terminal was "
        "attached to ask one; run it on a terminal, or allow it with `--approve issue_refund`",
    ]
    assert outcome.exit_code == 1 and str(outcome.output) == "done"  # its words still shown


def test_approval_of_a_tool_the_agent_lacks_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="'refund'"):
        agent_loop("agent", [lookup], max_steps=2, approval=Approval.of(["refund"]))


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_terminal_prompt_shows_name_and_arguments_and_takes_yes() -> None:
    assert terminal_ask(io.StringIO("y\n")) is None  # not a terminal: nobody to ask
    out = io.StringIO()
    ask = terminal_ask(_Tty("yes\nn\n"), out)
    assert ask is not None
    assert ask("issue_refund", '{"order": "A1"}') is True
    assert ask("issue_refund", '{"order": "B2"}') is False
    shown = out.getvalue()
    assert "'issue_refund'" in shown and '{"order": "A1"}' in shown and "[y/N]" in shown


def test_a_tool_named_in_words_is_the_same_tool_as_its_function() -> None:
    policy = Approval.of(["Issue refund"], approved=["issue-refund"])
    assert policy.needs("issue_refund")
    replies, _ = _run(policy)
    assert replies[1] == "refunded 12.5 on A1"
