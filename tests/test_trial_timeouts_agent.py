"""Trial 2 against a slow llama.cpp server: a map whose items refine their summaries was cut by
a 60 s default per-item timeout and lost every paid draft (exit 1, nothing printed); cancelled
calls taught the estimate their reservation as tokens; an agent's broken tool call was printed
as its answer, exit 0, though the refund it wanted had been refused.

Every wait here is an asyncio timer on a virtual clock (no real time passes)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from virtual_clock import run_virtual

from runtime.combinators import agent_loop, execute, execute_sync, llm, refine
from runtime.combinators.approval import Approval
from runtime.combinators.each import each, split_text
from runtime.combinators.errors import BranchFailed
from runtime.combinators.execute import Outcome
from runtime.combinators.tools import looks_like_tool_call
from runtime.estimate.calibrate import calibrate
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel
from runtime.params import EachParams

SECTIONS = "the first section\n\nthe second section\n\nthe third section"
SLOW_CALL_S = 30.0
"""Each simulated call's latency: three in a row pass the old 60 s default, none its own
60 s per-call timeout."""


def _never_approved(_: Any) -> bool:
    return False  # every round is judged and revised: the refine makes 3 calls per item


def _map(branch_timeout_s: float | None) -> Any:
    item = refine(llm("summarize_section"), _never_approved, max_rounds=3)
    return each(
        "each section",
        item,
        split_text,
        max_items=8,
        concurrency=8,
        branch_timeout_s=branch_timeout_s,
    )


def _run_map(branch_timeout_s: float | None, trace: Path | None = None) -> tuple[Outcome, Run]:
    run = Run(simulated=SimulatedModel(latency_s=SLOW_CALL_S), trace=trace)
    with run:
        outcome, _ = run_virtual(execute(_map(branch_timeout_s), run, SECTIONS))
    return outcome, run


def test_by_default_a_map_item_has_the_time_its_refine_loop_needs() -> None:
    default = EachParams.model_validate({"each": "section"}).branch_timeout_s
    outcome, run = _run_map(default)
    assert run.summary().calls == 9  # 3 items x 3 slow calls (90 s each item), none cut
    assert len(outcome.output.split("\n\n")) == 3
    assert not any("timed out" in n.message for n in outcome.notes)


def test_an_item_cut_by_a_set_timeout_keeps_its_paid_draft(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    outcome, _ = _run_map(45.0, trace)  # the first draft is done at 30 s, the revision is not
    assert outcome.exit_code == 3 and not outcome.empty  # best so far printed, not a failure
    drafts = outcome.output.split("\n\n")
    assert len(drafts) == 3 and all(d.startswith("[summarize_section]") for d in drafts)
    messages = [n.message for n in outcome.notes]
    assert sum("kept its latest draft" in m for m in messages) == 3
    assert not any("joined the rest" in m for m in messages)
    assert outcome.stopped_by and outcome.stopped_by.startswith("branch_timeout_s=45")

    lines = [json.loads(x) for x in trace.read_text().splitlines()]
    cut = [x for x in lines if x.get("unsettled")]
    assert [x["unsettled"] for x in cut] == ["cancelled"] * 3  # the 3 revisions in flight
    settled = [x for x in lines if "step" in x and x["ok"]]
    learned = calibrate([trace]).steps["summarize_section"]
    # The estimate learns the calls the provider counted, not the reservations charged.
    mean = sum(x["completion_tokens"] for x in settled) / len(settled)
    assert learned.completion_tokens == pytest.approx(mean)
    assert max(x["completion_tokens"] for x in cut) > mean


def test_a_step_whose_only_call_was_cut_is_not_measured(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    line = {"model": "m", "latency_s": 1.0, "attempt": 1, "cost_usd": 0.0}
    rows = [
        {**line, "step": "outline", "prompt_tokens": 100, "completion_tokens": 50, "ok": True},
        {**line, "step": "summarize", "prompt_tokens": 1720, "completion_tokens": 80}
        | {"ok": False, "error": "CancelledError", "unsettled": "cancelled"},
        {"summary": True, "calls": 2, "cost_usd": 0.0, "stopped_by": None},
    ]
    trace.write_text("".join(json.dumps(r) + "\n" for r in rows))
    learned = calibrate([trace])  # it divided by zero calls of `summarize`
    assert set(learned.steps) == {"outline"}


def test_every_item_failing_says_so_once_without_joined_the_rest() -> None:
    async def hang(run: Run, value: Any) -> str:
        await asyncio.sleep(600)
        return "never"

    step = each("each section", hang, split_text, max_items=8, concurrency=8, branch_timeout_s=5)
    run = Run(simulated=SimulatedModel())
    with pytest.raises(BranchFailed, match=r"timed out after 5s; all 3 items failed"):
        run_virtual(execute(step, run, SECTIONS))


def test_a_failing_item_beside_good_ones_is_still_left_out_and_noted() -> None:
    async def picky(run: Run, value: Any) -> str:
        if "second" in value:
            raise ValueError("refused")
        return str(value)

    step = each("each section", picky, split_text, max_items=8, concurrency=8)
    outcome = execute_sync(step, Run(simulated=SimulatedModel()), SECTIONS)
    assert outcome.exit_code == 0
    assert outcome.output == "the first section\n\nthe third section"
    assert [n.message for n in outcome.notes] == [
        "item#2 has no result (ValueError: refused); joined the rest"
    ]


REFUNDED: list[str] = []


def lookup_order(order: str) -> str:
    """Look an order up."""
    return f"{order}: paid twice"


def issue_refund(order: str) -> str:
    """Refund an order."""
    REFUNDED.append(order)
    return f"refunded {order}"


BROKEN_CALL = '{"tool": "issue_refund", "arguments": {"order": "48213"'  # cut off, no closing


def _agent(script: list[Any], approval: Approval | None = None, max_steps: int = 5) -> Outcome:
    REFUNDED.clear()
    run = Run(simulated=SimulatedModel(script={"agent": script}))
    step = agent_loop("agent", [lookup_order, issue_refund], max_steps=max_steps, approval=approval)
    return execute_sync(step, run, "refund order 48213")


def test_a_broken_tool_call_is_not_the_answer_the_agent_is_told_and_goes_on() -> None:
    outcome = _agent([BROKEN_CALL, Reply(tool_calls=[("issue_refund", {"order": "48213"})]), "ok"])
    assert outcome.exit_code == 0 and str(outcome.output) == "ok"
    assert REFUNDED == ["48213"]
    told = [m["content"] for m in outcome.output.messages if m["role"] == "user"][1]
    assert "not a valid one" in told and "issue_refund" in told
    assert any("did not parse" in n.message for n in outcome.notes)


def test_a_whole_tool_call_written_as_text_is_made() -> None:
    # A server that answers tools natively, and a model that wrote its call in the reply text.
    call = '```json\n{"tool": "issue_refund", "arguments": {"order": "48213"}}\n```'
    outcome = _agent([Reply(tool_calls=[("lookup_order", {"order": "48213"})]), call, "done"])
    assert outcome.exit_code == 0 and str(outcome.output) == "done"
    assert REFUNDED == ["48213"]


def test_a_broken_tool_call_on_the_last_turn_is_not_printed_as_a_result() -> None:
    outcome = _agent([Reply(tool_calls=[("lookup_order", {"order": "1"})]), BROKEN_CALL], None, 2)
    assert outcome.exit_code == 3 and outcome.empty  # no answer: nothing printed as one
    assert BROKEN_CALL not in str(outcome.output)


def test_an_agent_that_ends_after_a_refused_tool_did_not_do_the_request() -> None:
    script = [Reply(tool_calls=[("issue_refund", {"order": "48213"})]), "I could not refund it."]
    outcome = _agent(script, Approval.of(["issue_refund"]))
    assert outcome.exit_code == 1 and REFUNDED == []
    assert outcome.not_done is not None and "--approve issue_refund" in outcome.not_done
    assert str(outcome.output) == "I could not refund it."  # its words are still shown


def test_a_tool_declined_then_allowed_on_a_second_ask_is_done() -> None:
    answers = iter([False, True])
    policy = Approval.of(["issue_refund"], ask=lambda _n, _a, **_: next(answers))
    call = Reply(tool_calls=[("issue_refund", {"order": "48213"})])
    outcome = _agent([call, call, "refunded"], policy)
    assert outcome.exit_code == 0 and REFUNDED == ["48213"]


@pytest.mark.parametrize(
    ("text", "attempt"),
    [
        (BROKEN_CALL, True),
        ('```json\n{"tool": "lookup_order", "arguments": {}}\n```', True),
        ('{"name": "issue_refund", "arguments": {"order": "1"}', True),
        ("Refunded 225.00 on order 48213.", False),
        ('{"name": "Ann", "total": 3}', False),
        ('The call was {"tool": "x"}', False),
    ],
)
def test_what_counts_as_a_failed_tool_call(text: str, attempt: bool) -> None:
    assert looks_like_tool_call(text) is attempt
