"""Estimate formulas against hand-computed cases, per pattern; the report's contract fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.calls import count_calls, per_turn
from runtime.estimate import contract_dict, estimate_settings, render_text
from runtime.model_calls.budget import PROMPT_MARGIN
from runtime.plan import Node
from runtime.settings import Settings

# gpt-4o-mini: $0.15 / $0.60 per million tokens. Empty prompt files: a call's prompt is the
# input plus 9 tokens of chat framing (3 per message x 2 + 3 to prime the reply).
IN, OUT = 0.15e-6, 0.60e-6
FRAME = 9


def leaf(step: str) -> Node:
    return Node(pattern="single-call", name=step, steps=[step])


def settings(plan: Node, **kw: object) -> Settings:
    base: dict[str, object] = {"name": "t", "pattern": plan.pattern, "plan": plan}
    base.update(kw)
    return Settings.model_validate(base)


def est(plan: Node, **kw: object):  # type: ignore[no-untyped-def]
    steps = plan.all_steps()
    return estimate_settings(
        settings(plan, **kw), dict.fromkeys(steps, ""), with_alternatives=False
    )


def R(prompt: float) -> float:
    """What the bound charges an attempt's prompt: its reservation, margin included."""
    return prompt * (1 + PROMPT_MARGIN) + 1


def test_single_call_by_hand() -> None:
    e = est(leaf("answer"), max_tokens={"answer": 1000}, max_attempts=2)
    # expected: prompt 500 + 9, typical generate output 500
    assert e.total.tokens_exp == pytest.approx(1009)
    assert e.total.usd_exp == pytest.approx(509 * IN + 500 * OUT)
    # worst: 2 attempts, each billed prompt + max_tokens
    assert e.total.calls_worst == 2
    assert e.total.tokens_worst == pytest.approx(2 * (R(509) + 1000))
    assert e.total.usd_worst == pytest.approx(2 * (R(509) * IN + 1000 * OUT))
    assert e.latency_s == pytest.approx(0.6 + 500 / 75)


def test_chain_feeds_each_output_to_the_next_step() -> None:
    plan = Node(pattern="prompt-chaining", name="c", children=[leaf("a"), leaf("b")])
    e = est(plan, max_tokens={"a": 1000, "b": 800}, max_attempts=1)
    # b's prompt carries a's output: 500 expected, 1000 at worst
    assert e.total.tokens_exp == pytest.approx((509 + 500) + (FRAME + 500 + 500))
    assert e.total.tokens_worst == pytest.approx((R(509) + 1000) + (R(FRAME + 1000) + 800))
    assert e.critical_path_calls == 2


def test_routing_expected_averages_handlers_worst_takes_the_dearest() -> None:
    plan = Node(
        pattern="routing",
        name="r",
        steps=["classify"],
        children=[leaf("x"), leaf("y")],
        params={"fallback": "y"},
    )
    e = est(plan, max_tokens={"classify": 100, "x": 1000, "y": 2000}, max_attempts=1)
    # classify: structured, so +300 schema tokens; 4 attempts (3 repairs), each re-sending
    # the failed reply (<= 100) and up to 400 tokens of errors in 2 more messages.
    base = FRAME + 300 + 500
    classify_worst = sum(R(base + k * (100 + 400 + 6)) + 100 for k in range(4))
    assert e.total.tokens_worst == pytest.approx(classify_worst + (R(509) + 2000))
    assert e.total.calls_exp == pytest.approx(2)
    assert e.total.calls_worst == 4 + 1
    per_step = {s.step: s for s in e.steps}
    assert per_step["x"].calls == pytest.approx(0.5)
    assert per_step["classify"].worst_calls == 4


def test_voting_runs_n_times_but_waits_once() -> None:
    plan = Node(pattern="parallel-voting", name="v", children=[leaf("judge")], params={"n": 5})
    e = est(plan, max_tokens={"judge": 300}, max_attempts=1)
    # a vote is a text call with a typical 60-token answer
    assert e.total.usd_exp == pytest.approx(5 * ((FRAME + 500) * IN + 60 * OUT))
    assert e.critical_path_calls == 1
    assert e.latency_s == pytest.approx(0.6 + 60 / 75)


def test_refine_counts_like_the_combinator() -> None:
    # refine: generate, then up to max_rounds evaluations with a revision between each pair.
    plan = Node(
        pattern="evaluator-optimizer",
        name="r",
        steps=["evaluate"],
        children=[leaf("write")],
        params={"max_rounds": 3, "expected_rounds": 2},
    )
    e = est(plan, max_attempts=1)
    per_step = {s.step: s for s in e.steps}
    assert per_step["write"].calls == pytest.approx(2)  # draft + one revision
    assert per_step["evaluate"].calls == pytest.approx(2)
    assert e.logical_worst == 1 + 3 + 2
    assert e.logical_worst <= count_calls(plan).worst


def test_parallel_sections_cost_adds_latency_does_not() -> None:
    plan = Node(
        pattern="parallel-sectioning",
        name="p",
        steps=["merge"],
        children=[leaf("a"), leaf("b"), leaf("c")],
    )
    e = est(plan, max_attempts=1)
    assert e.logical_calls == 4
    assert e.critical_path_calls == 2
    assert e.critical_path_calls == count_calls(plan).critical_path


def test_agent_prompt_grows_every_turn() -> None:
    def agent(steps: int) -> Node:
        params = {"max_steps": steps, "expected_steps": 1, "max_tool_result_tokens": 100}
        return Node(pattern="agent-loop", name="a", steps=["a"], params=params)

    two, four = est(agent(2), max_attempts=1), est(agent(4), max_attempts=1)
    # 4 turns cost more than twice 2 turns: each turn re-sends the whole conversation
    assert four.total.tokens_worst > 2.5 * two.total.tokens_worst


def test_agent_without_a_tool_result_cap_is_bounded_only_by_limits() -> None:
    plan = Node(pattern="agent-loop", name="a", steps=["a"], params={"max_steps": 3})
    loose = est(plan)
    assert loose.worst("usd") is None and loose.unbounded
    capped = est(plan, limits={"max_usd": 0.05})
    assert capped.worst("usd") == pytest.approx(0.05)
    assert capped.worst("tokens") is not None


def test_limits_cap_the_worst_case() -> None:
    e = est(leaf("answer"), limits={"max_calls": 1, "max_usd": 0.0001})
    assert e.total.calls_worst == 1
    assert e.total.usd_worst == pytest.approx(0.0001)
    assert "max_usd=0.0001" in e.capped_by


def test_reasoning_model_hidden_tokens_are_counted() -> None:
    plain = est(leaf("a"), models={"default": "openai/gpt-4o-mini"}, max_tokens={"a": 4000})
    thinker = est(leaf("a"), models={"default": "openai/o3-mini"}, max_tokens={"a": 4000})
    # o3-mini reasons: ~4 hidden tokens per visible one, billed as output
    assert thinker.total.completion_exp == pytest.approx(500 * 5)
    assert plain.total.completion_exp == pytest.approx(500)
    assert any("reasoning" in a for a in thinker.assumptions)


def test_expected_calls_agree_with_the_catalog_counts() -> None:
    plan = Node(
        pattern="routing",
        name="r",
        steps=["classify"],
        children=[
            Node(pattern="prompt-chaining", name="x", children=[leaf("a"), leaf("b")]),
            leaf("y"),
        ],
        params={"fallback": "y"},
    )
    e = est(plan)
    assert e.logical_calls == pytest.approx(count_calls(plan).expected)
    assert e.logical_worst == count_calls(plan).worst


def test_contract_fields() -> None:
    plan = Node(pattern="prompt-chaining", name="c", children=[leaf("a"), leaf("b")])
    s = settings(plan, volume_per_day=1000)
    data = contract_dict(estimate_settings(s, {}))
    req = data["per_request"]
    for key in (
        "expected_calls",
        "worst_calls",
        "expected_tokens",
        "worst_tokens",
        "expected_usd",
        "worst_usd",
        "critical_path_calls",
    ):
        assert key in req
    assert data["model_prices"]["openai/gpt-4o-mini"] == {
        "input_per_mtok": pytest.approx(0.15),
        "output_per_mtok": pytest.approx(0.6),
    }
    assert [s["step"] for s in data["per_step"]] == ["a", "b"]
    assert data["monthly_usd"] == pytest.approx(data["daily_usd"] * 30)
    assert data["daily_usd"] == pytest.approx(req["expected_usd"] * 1000, rel=1e-6)
    alts = {a["pattern"] for a in data["alternatives"]}
    assert {"single-call", "routing", "agent-loop"} <= alts


def test_plain_text_report_names_steps_and_monthly_cost() -> None:
    plan = Node(pattern="prompt-chaining", name="c", children=[leaf("draft"), leaf("polish")])
    text = render_text(estimate_settings(settings(plan), {}))
    assert "draft" in text and "polish" in text and "/month" in text and "assumptions" in text


def test_voting_or_refining_the_same_task_never_looks_cheaper_than_doing_it_once() -> None:
    chains = [
        Node(pattern="prompt-chaining", name=k, children=[leaf(f"{k}1"), leaf(f"{k}2")])
        for k in ("x", "y")
    ]
    plan = Node(pattern="routing", name="r", steps=["classify"], children=chains)
    s = settings(plan)
    e = estimate_settings(s, dict.fromkeys(plan.all_steps(), "Do the step.\n{input}"))
    by_pattern = {alt.pattern: alt.expected_usd for alt in e.alternatives}
    assert by_pattern["parallel-voting"] > 3 * e.total.usd_exp  # 5 votes of the 3-call task


@pytest.mark.parametrize("example", sorted(Path("examples").glob("*.yaml")), ids=lambda p: p.stem)
def test_recommend_and_estimate_count_the_same_calls(example: Path) -> None:
    from advisor.answers import load_answers
    from advisor.diagnose import diagnose

    s = diagnose(load_answers(example)).settings()
    e = estimate_settings(s, dict.fromkeys(s.plan.all_steps(), "x {input}"))
    count = count_calls(s.plan)
    if s.conversation is not None:  # a chat turn: the state update and the amortised summary
        count = per_turn(count, s.conversation.summarize_after)
    assert e.logical_calls == pytest.approx(count.expected)
    assert e.logical_worst == count.worst
    assert e.critical_path_calls == pytest.approx(count.critical_path)
