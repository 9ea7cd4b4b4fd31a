"""The diagnosis: every ladder rule, the compositions, warnings, overrides and the contract."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.answers import Answers
from advisor.calls import count_calls
from advisor.diagnose import diagnose, force
from runtime.catalog import DEFAULTS, rung
from runtime.plan import PATTERN_IDS, PatternId
from runtime.settings import Settings


def answers(**fields: Any) -> Answers:
    return Answers(name="desk", **fields)


CASES: list[tuple[str, dict[str, Any], str, list[str], float, int]] = [
    # id, answers, pattern, uses, expected calls, worst calls
    ("nothing", {}, "single-call", ["single-call"], 1, 1),
    ("one-step", {"steps": ["title"]}, "single-call", ["single-call"], 1, 1),
    ("chain", {"steps": ["a", "b", "c"]}, "prompt-chaining", ["prompt-chaining"], 3, 3),
    ("route", {"categories": ["x", "y"]}, "routing", ["routing"], 2, 2),
    ("difficulty", {"mixed_difficulty": True}, "routing", ["routing"], 2, 2),
    (
        "route-chains",
        {"categories": ["x", "y"], "steps": ["a", "b"]},
        "routing",
        ["prompt-chaining", "routing"],
        3,
        3,
    ),
    (
        "sections",
        {"independent_subtasks": ["p", "q", "r"]},
        "parallel-sectioning",
        ["parallel-sectioning"],
        4,
        4,
    ),
    (
        "sections-code-merge",
        {"independent_subtasks": ["p", "q"], "merge": "code"},
        "parallel-sectioning",
        ["parallel-sectioning"],
        2,
        2,
    ),
    (
        "guardrail-in-chain",
        {"steps": ["retrieve", "answer"], "independent_subtasks": ["answer", "check"]},
        "parallel-sectioning",
        ["parallel-sectioning", "prompt-chaining"],
        4,
        4,
    ),
    ("vote", {"needs_confidence": True}, "parallel-voting", ["parallel-voting"], 5, 5),
    (
        "vote-systematic",
        {"needs_confidence": True, "errors_are_random": False},
        "single-call",
        ["single-call"],
        1,
        1,
    ),
    (
        "orchestrate",
        {"flow": "depends-on-input", "categories": ["py", "sql"]},
        "orchestrator-workers",
        ["orchestrator-workers"],
        5,
        7,
    ),
    (
        "orchestrate-generic",
        {"flow": "depends-on-input"},
        "orchestrator-workers",
        ["orchestrator-workers"],
        5,
        7,
    ),
    (
        "refine",
        {"steps": ["translate"], "refinement": True, "criteria": ["faithful"]},
        "evaluator-optimizer",
        ["evaluator-optimizer"],
        1.5 * 2,  # rounds x (a draft + its evaluation)
        3 * 2,
    ),
    ("refine-no-criteria", {"refinement": True}, "single-call", ["single-call"], 1, 1),
    (
        "refine-workers",
        {"flow": "depends-on-input", "categories": ["py"], "refinement": True, "criteria": ["ok"]},
        "evaluator-optimizer",
        ["evaluator-optimizer", "orchestrator-workers"],
        2 + 3 * (1.5 * 2),
        2 + 5 * (3 * 2),
    ),
    ("agent", {"flow": "unknown", "tools": ["search"]}, "agent-loop", ["agent-loop"], 5, 10),
    (
        "agent-routed-by-difficulty",
        {"flow": "unknown", "tools": ["search"], "mixed_difficulty": True},
        "agent-loop",
        ["agent-loop", "routing"],
        1 + (1 + 5) / 2,
        11,
    ),
    (
        "refined-agent",  # criteria are the agent's stop condition, not a loop around it
        {"flow": "unknown", "tools": ["s"], "refinement": True, "criteria": ["cited"]},
        "agent-loop",
        ["agent-loop"],
        5,
        10,
    ),
    (
        "vote-chain",
        {"needs_confidence": True, "steps": ["a", "b"]},
        "parallel-voting",
        ["parallel-voting", "prompt-chaining"],
        10,
        10,
    ),
]


@pytest.mark.parametrize(
    ("fields", "pattern", "uses", "expected", "worst"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_ladder_rules(
    fields: dict[str, Any], pattern: str, uses: list[str], expected: float, worst: int
) -> None:
    rec = diagnose(answers(**fields))
    assert rec.pattern == pattern
    assert rec.uses == uses
    assert rec.calls_per_request.expected == pytest.approx(expected)
    assert rec.calls_per_request.worst == worst
    assert rec.reasons, "every recommendation says why"


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"needs_confidence": True, "errors_are_random": False}, "cannot fix systematic errors"),
        ({"refinement": True}, "nothing says what to check"),
        ({"criteria": ["x"]}, "are not checked"),
        ({"flow": "unknown"}, "agent without tools"),
        ({"flow": "unknown", "tools": ["t"], "steps": ["a", "b"]}, "Not used: your steps"),
        ({"flow": "depends-on-input", "needs_confidence": True}, "wish for voting"),
        ({"categories": ["only"]}, "needs no routing"),
        ({"independent_subtasks": ["only"]}, "just another step"),
        ({"steps": ["a", "b", "c", "d"], "latency_sensitive": True}, "one after another"),
        ({"models": {"nosuch": "openai/gpt-4o"}}, "`nosuch` names no step"),
        (
            {
                "categories": ["a", "b", "c"],
                "steps": ["x", "y", "z"],
                "mixed_difficulty": True,
                "refinement": True,
                "criteria": ["ok"],
            },
            "one whiteboard",
        ),
    ],
)
def test_warnings(fields: dict[str, Any], fragment: str) -> None:
    rec = diagnose(answers(**fields))
    assert any(fragment in w for w in rec.warnings), rec.warnings


def test_clean_answers_have_no_warnings() -> None:
    assert diagnose(answers(steps=["a", "b"], categories=["x", "y"])).warnings == []


FIELD_NAMES = (
    "flow:",
    "independent_subtasks",
    "needs_confidence",
    "errors_are_random",
    "mixed_difficulty",
    "refinement:",
    "latency_sensitive",
)


def test_each_reason_is_tied_to_an_answer() -> None:
    rec = diagnose(
        answers(categories=["x", "y"], steps=["a", "b"], refinement=True, criteria=["ok"])
    )
    for reason in rec.reasons:
        assert any(given in reason for given in ("a -> b", "x, y", "(ok)")), reason
        # plain words about the task, not the answers file's field names
        assert not any(f"{key}:" in reason or key in reason for key in FIELD_NAMES), reason


def test_the_chain_reason_names_each_rewriting_step_in_plain_grammar() -> None:
    one = diagnose(answers(steps=["draft", "translate"])).reasons[0]
    two = diagnose(answers(steps=["summarize_diff", "draft", "format_comments"])).reasons[0]
    assert "translate rewrites it: its output replaces the artifact." in one
    # was "summarize_diff, format_comments rewrites it: its output replaces the artifact."
    assert "summarize_diff and format_comments rewrite it: each one's output" in two


ALL_ANSWERS = [answers(**case[1]) for case in CASES]


@pytest.mark.parametrize("ans", ALL_ANSWERS, ids=[case[0] for case in CASES])
def test_every_higher_rung_is_rejected_with_what_it_adds(ans: Answers) -> None:
    rec = diagnose(ans)
    rejected = {r.pattern: r for r in rec.rejected}
    for pattern in PATTERN_IDS:
        if pattern in rec.uses:
            assert pattern not in rejected
        elif rung(pattern) > rung(rec.pattern):
            item = rejected[pattern]
            assert "it would take" in item.why and "risk:" in item.why
            assert "-1" not in item.why and "+" not in item.why  # calls in words
            assert item.calls_per_request is not None


@pytest.mark.parametrize("ans", ALL_ANSWERS, ids=[case[0] for case in CASES])
def test_step_names_are_unique_and_params_cover_every_step(ans: Answers) -> None:
    rec = diagnose(ans)
    steps = rec.composition.all_steps()
    assert len(steps) == len({s.lower() for s in steps})
    assert set(rec.params.models) == set(steps) == set(rec.params.max_tokens)
    assert rec.params.limits.max_calls == rec.calls_per_request.worst * DEFAULTS.max_calls_factor


@pytest.mark.parametrize("ans", ALL_ANSWERS, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("target", PATTERN_IDS)
def test_override_builds_the_pattern_asked_for(ans: Answers, target: PatternId) -> None:
    natural = diagnose(ans)
    rec = diagnose(ans, override=target)
    assert rec.pattern == target
    assert rec.answers == ans
    if target == natural.pattern:
        assert rec == natural
        return
    assert rec.override == target and rec.natural_pattern == natural.pattern
    assert rec.reasons[0].startswith(f"You picked {target}")
    direction = "up" if rung(target) > rung(natural.pattern) else "down"
    assert any(f"override {direction} the ladder" in w for w in rec.warnings)
    if natural.pattern not in rec.uses:
        assert natural.pattern in {r.pattern for r in rec.rejected}


def test_force_keeps_what_it_can() -> None:
    ans = answers(steps=["a", "b"], categories=["x", "y"])
    assert force(ans, "orchestrator-workers").categories == ["x", "y"]
    assert force(ans, "parallel-sectioning").independent_subtasks == ["a", "b"]
    assert force(answers(steps=["a"]), "prompt-chaining").steps == ["a", "review"]


def test_small_model_for_classify_and_evaluate_unless_the_user_names_one() -> None:
    ans = answers(
        categories=["x", "y"],
        refinement=True,
        criteria=["ok"],
        models={"default": "openai/gpt-4o", "x_evaluate": "anthropic/claude-3-5-haiku"},
    )
    models = diagnose(ans).params.models
    assert models["classify"] == DEFAULTS.small_model
    assert models["x_evaluate"] == "anthropic/claude-3-5-haiku"
    assert models["y_evaluate"] == DEFAULTS.small_model
    assert models["x_answer"] == "openai/gpt-4o"


def test_models_by_kind_apply_to_every_step_of_that_kind() -> None:
    ans = answers(steps=["a", "b"], models={"generate": "openai/gpt-4o"})
    assert set(diagnose(ans).params.models.values()) == {"openai/gpt-4o"}


def test_easy_inputs_go_to_the_small_model() -> None:
    ans = answers(mixed_difficulty=True, models={"default": "openai/gpt-4o"})
    rec = diagnose(ans)
    easy, hard = (
        {rec.params.models[s] for s in tier.all_steps()} for tier in rec.composition.children
    )
    assert easy == {DEFAULTS.small_model} and hard == {"openai/gpt-4o"}


def test_contract_json_shape() -> None:
    rec = diagnose(answers(categories=["billing", "general"], steps=["draft", "review"]))
    out = rec.to_contract()
    assert list(out) == [
        "pattern",
        "uses",
        "composition",
        "reasons",
        "rejected",
        "warnings",
        "calls_per_request",
        "usd_per_request",
    ]
    assert out["calls_per_request"] == {"expected": 3, "worst": 3}
    assert 0 < out["usd_per_request"]["expected"] <= out["usd_per_request"]["worst"]
    assert out["composition"]["params"] == {"by": "category", "fallback": "general"}
    assert [c["name"] for c in out["composition"]["children"]] == ["billing", "general"]
    assert all(set(r) >= {"pattern", "why"} for r in out["rejected"])


def test_settings_carry_plan_models_limits_and_volume() -> None:
    ans = answers(
        categories=["a", "b"],
        budget_usd_per_request=0.05,
        volume_per_day=42,
        models={"default": "openai/gpt-4o"},
    )
    rec = diagnose(ans)
    settings = Settings.model_validate_json(rec.settings().dump())
    assert settings.plan == rec.composition and settings.pattern == "routing"
    assert settings.limits.max_usd == 0.05 and settings.limits.max_calls == 4
    assert settings.models.default == "openai/gpt-4o"
    assert settings.models.for_step("classify") == DEFAULTS.small_model
    assert settings.volume_per_day == 42
    assert settings.max_tokens["classify"] < settings.max_tokens["a"]


def test_counts_match_the_runtime_formulas() -> None:
    rec = diagnose(answers(flow="depends-on-input", categories=["a", "b"]))
    assert rec.calls_per_request.expected == count_calls(rec.composition).expected


def test_fallback_prefers_a_general_category() -> None:
    rec = diagnose(answers(categories=["general", "billing"]))
    assert rec.composition.params["fallback"] == "general"
    rec = diagnose(answers(categories=["billing", "tech"]))
    assert rec.composition.params["fallback"] == "tech"


def test_user_step_names_colliding_with_pattern_steps_are_renamed() -> None:
    rec = diagnose(answers(independent_subtasks=["merge", "tone"]))
    assert sorted(rec.composition.all_steps()) == ["merge", "merge_2", "tone"]


def test_an_override_in_the_answers_file_is_honoured() -> None:
    rec = diagnose(answers(steps=["a", "b"], override="agent-loop"))
    assert rec.pattern == "agent-loop" and rec.natural_pattern == "prompt-chaining"
    assert any("override up the ladder" in w for w in rec.warnings)
