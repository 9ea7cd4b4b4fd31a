"""The catalog and the call counts: every pattern described, contract call counts hold."""

from __future__ import annotations

import pytest

from advisor.calls import count_calls, step_calls
from advisor.pattern_guide import PATTERNS, ladder
from runtime.catalog import DEFAULTS, STEP_KINDS, step_kind, step_kinds
from runtime.plan import PATTERN_IDS, Node


def call(name: str) -> Node:
    return Node(pattern="single-call", name=name, steps=[name])


def chain(*names: str) -> Node:
    return Node(pattern="prompt-chaining", name="chain", children=[call(n) for n in names])


def test_every_pattern_is_described_in_ladder_order() -> None:
    assert list(PATTERNS) == list(PATTERN_IDS)
    rungs = [info.rung for info in ladder()]
    assert rungs == sorted(rungs) and rungs[0] == 0 and rungs[-1] == 6
    for info in ladder():
        assert info.summary and info.when and info.when_not and info.failure_modes
        assert info.calls and info.critical_path and info.diagram


def test_practitioner_multipliers_are_labelled() -> None:
    for info in ladder():
        for mult in info.multipliers:
            assert "practitioner" in mult.source_kind


def test_failure_modes_name_the_known_risks() -> None:
    text = " ".join(" ".join(info.failure_modes) for info in ladder())
    for risk in ("misrouting", "plan omissions", "runaway loops", "systematic errors"):
        assert risk in text


@pytest.mark.parametrize(
    ("node", "expected", "worst", "critical"),
    [
        (call("answer"), 1, 1, 1),
        (chain("a", "b", "c"), 3, 3, 3),
        (
            Node(pattern="routing", name="r", steps=["classify"], children=[call("x"), call("y")]),
            2,
            2,
            2,
        ),
        (
            Node(
                pattern="evaluator-optimizer",
                name="e",
                steps=["evaluate"],
                children=[call("t")],
                params={"max_rounds": 3, "expected_rounds": 2},
            ),
            2 * 2,  # a draft and its evaluation per round, as refine runs them
            2 * 3,
            4,
        ),
        (
            Node(
                pattern="orchestrator-workers",
                name="o",
                steps=["plan", "synthesize"],
                children=[call("w1"), call("w2")],
                params={"max_workers": 4, "expected_workers": 3},
            ),
            2 + 3,
            2 + 4,
            3,
        ),
        (
            Node(pattern="parallel-voting", name="v", children=[call("j")], params={"n": 7}),
            7,
            7,
            1,
        ),
        (
            Node(
                pattern="parallel-sectioning",
                name="p",
                steps=["merge"],
                children=[call("a"), call("b"), call("c")],
            ),
            4,
            4,
            2,
        ),
        (
            Node(pattern="parallel-sectioning", name="p", children=[call("a"), call("b")]),
            2,
            2,
            1,
        ),
        (
            Node(pattern="agent-loop", name="agent", steps=["agent"], params={"max_steps": 8}),
            DEFAULTS.expected_steps,
            8,
            DEFAULTS.expected_steps,
        ),
    ],
    ids=lambda v: v.pattern if isinstance(v, Node) else None,
)
def test_contract_call_counts(node: Node, expected: float, worst: int, critical: float) -> None:
    count = count_calls(node)
    assert (count.expected, count.worst, count.critical_path) == (expected, worst, critical)


def test_caps_default_from_the_catalog_when_params_omit_them() -> None:
    refine = Node(pattern="evaluator-optimizer", name="e", steps=["evaluate"], children=[call("t")])
    assert count_calls(refine).worst == 2 * DEFAULTS.max_rounds
    vote = Node(pattern="parallel-voting", name="v", children=[call("j")])
    assert count_calls(vote).expected == DEFAULTS.votes


def test_routing_to_chains_counts_the_mean_handler_and_the_longest_worst() -> None:
    node = Node(
        pattern="routing",
        name="r",
        steps=["classify"],
        children=[chain("a1", "a2", "a3"), call("b")],
    )
    count = count_calls(node)
    assert count.expected == 1 + (3 + 1) / 2
    assert count.worst == 1 + 3


NESTED = Node(
    pattern="routing",
    name="route",
    steps=["classify"],
    children=[
        Node(
            pattern="orchestrator-workers",
            name="hard",
            steps=["plan", "synthesize"],
            children=[
                Node(
                    pattern="evaluator-optimizer",
                    name="python",
                    steps=["py_evaluate"],
                    children=[call("py_draft")],
                ),
                call("sql"),
            ],
        ),
        Node(pattern="parallel-voting", name="vote", children=[chain("v1", "v2")]),
    ],
)


def test_step_counts_sum_to_the_total_and_respect_worst() -> None:
    per_step = step_calls(NESTED)
    assert set(per_step) == set(NESTED.all_steps())
    assert sum(s.expected for s in per_step.values()) == pytest.approx(count_calls(NESTED).expected)
    # The evaluator's generator may run 1 + max_rounds times in each of up to max_workers workers.
    assert per_step["py_draft"].worst == DEFAULTS.max_workers * DEFAULTS.max_rounds
    assert per_step["v1"].worst == DEFAULTS.votes


def test_step_kinds_by_role_and_name() -> None:
    kinds = step_kinds(NESTED)
    assert kinds["classify"] == "classify"
    assert kinds["plan"] == "plan" and kinds["synthesize"] == "synthesize"
    assert kinds["py_evaluate"] == "evaluate"
    assert kinds["sql"] == "generate"
    check = call("check_tone")
    assert step_kind(check, "check_tone") == "validate"
    vote = Node(pattern="parallel-voting", name="v", children=[call("judge")])
    assert step_kinds(vote)["judge"] == "vote"
    with pytest.raises(KeyError):
        step_kind(check, "nope")


def test_a_typical_reply_fits_under_its_kinds_token_cap() -> None:
    assert all(info.typical_output_tokens < info.max_tokens for info in STEP_KINDS.values())
