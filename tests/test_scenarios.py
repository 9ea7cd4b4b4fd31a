"""Scenarios written from public write-ups of LLM workflows, each with the pattern it should get,
the patterns it uses and where the parts sit (which step a loop, a vote or guardrails wrap).

Sources: Anthropic, "Building effective agents" (2024) and its cookbook (basic workflows,
evaluator-optimizer, orchestrator-workers); OpenAI, "A practical guide to building agents"
(guardrails, tool risk, human approval); LangGraph tutorials (customer support routing, blog
writing with review, code migration, research assistant with search tools, calendar assistant).
"""

from __future__ import annotations

from typing import Any

import pytest

from advisor.answers import parse_answers
from advisor.diagnose import diagnose
from runtime.plan import Node


def wrapped(tree: Node, pattern: str) -> list[str]:
    """The step each `pattern` node wraps (its first child's own name)."""
    return [n.children[0].name for n in tree.walk() if n.pattern == pattern and n.children]


def guarded(tree: Node) -> list[str]:
    return [str(n.params.get("guard")) for n in tree.walk() if n.params.get("role") == "guard"]


def chain_order(tree: Node) -> list[str]:
    chains = [n for n in tree.walk() if n.pattern == "prompt-chaining"]
    return [c.name for c in chains[0].children] if chains else []


S = dict[str, Any]
SCENARIOS: list[tuple[str, S, str, list[str], S]] = [
    # --- Anthropic, Building effective agents: the five workflows and agents --------------
    (
        "marketing-copy-then-translate",
        {"steps": ["write_copy", "translate"]},
        "prompt-chaining",
        ["prompt-chaining"],
        {"calls": 2},
    ),
    (
        "outline-check-document",
        {"steps": ["outline", {"name": "check_outline", "role": "check"}, "write_document"]},
        "prompt-chaining",
        ["prompt-chaining"],
        {"order": ["outline", "check_outline", "write_document"]},
    ),
    (
        "support-routing-three-kinds",
        {"categories": ["general", "refund", "technical"]},
        "routing",
        ["routing"],
        {"calls": 2},
    ),
    (
        "easy-questions-small-model",
        {
            "steps": ["answer"],
            "difficulty": {"easy": "openai/gpt-4o-mini", "hard": "openai/gpt-4o"},
        },
        "routing",
        ["routing"],
        {"calls": 2, "one_router": True},
    ),
    (
        "guardrail-beside-answer",
        {"steps": ["answer"], "guardrails": ["inappropriate_request"]},
        "parallel-sectioning",
        ["parallel-sectioning"],
        {"guard": ["answer"], "calls": 2},
    ),
    (
        "eval-aspects-in-parallel",
        {"steps": [{"parallel": ["accuracy", "tone", "safety"], "merge": "code"}]},
        "parallel-sectioning",
        ["parallel-sectioning"],
        {"calls": 3},
    ),
    (
        "code-vulnerability-votes",
        {"steps": ["classify_vulnerable"], "needs_confidence": True},
        "parallel-voting",
        ["parallel-voting"],
        {"vote": ["classify_vulnerable"], "no_free_text": True},
    ),
    (
        "coding-changes-many-files",
        {"flow": "depends-on-input", "categories": ["source_file", "test_file"]},
        "orchestrator-workers",
        ["orchestrator-workers"],
        {},
    ),
    (
        "search-multiple-sources",
        {"flow": "depends-on-input", "categories": ["web", "papers", "news"]},
        "orchestrator-workers",
        ["orchestrator-workers"],
        {},
    ),
    (
        "literary-translation-critique",
        {"steps": ["translate"], "refinement": True, "criteria": ["nuance"]},
        "evaluator-optimizer",
        ["evaluator-optimizer"],
        {"loop": ["translate"]},
    ),
    (
        "swe-bench-agent",
        {"flow": "unknown", "tools": ["read_file", "edit_file", "run_tests"]},
        "agent-loop",
        ["agent-loop"],
        {},
    ),
    (
        "computer-use-agent-with-criteria",
        {
            "flow": "unknown",
            "tools": ["click", "type_text"],
            "criteria": ["task done"],
            "refinement": True,
        },
        "agent-loop",
        ["agent-loop"],
        {"stop_when": ["task done"]},
    ),
    # --- Anthropic cookbook: basic workflows, evaluator-optimizer ------------------------
    (
        "cookbook-chain-extract-format",
        {"steps": ["extract_values", "convert_units", "sort_values", "format_table"]},
        "prompt-chaining",
        ["prompt-chaining"],
        {"calls": 4},
    ),
    (
        "cookbook-stakeholder-impacts",
        {"independent_subtasks": ["customers", "employees", "investors"], "merge": "model"},
        "parallel-sectioning",
        ["parallel-sectioning"],
        {"calls": 4},
    ),
    (
        "cookbook-code-eval-loop",
        {
            "steps": ["write_code"],
            "refinement": True,
            "criteria": [{"name": "tests_pass", "by": "code"}],
        },
        "evaluator-optimizer",
        ["evaluator-optimizer"],
        {"loop": ["write_code"], "evaluator_calls": 0},
    ),
    # --- OpenAI, A practical guide to building agents -----------------------------------
    (
        "refund-agent-needs-approval",
        {
            "flow": "unknown",
            "tools": ["lookup_order", "issue_refund"],
            "approval": ["issue_refund"],
        },
        "agent-loop",
        ["agent-loop"],
        {"no_warning": "approval"},
    ),
    (
        "refund-agent-unapproved",
        {"flow": "unknown", "tools": ["lookup_order", "issue_refund"]},
        "agent-loop",
        ["agent-loop"],
        {"warning": "issue_refund"},
    ),
    (
        "relevance-and-safety-guardrails",
        {
            "steps": ["draft_reply", "send_reply"],
            "guardrails": ["relevance", {"name": "pii_filter", "by": "code"}],
            "guard": "draft_reply",
        },
        "parallel-sectioning",
        ["parallel-sectioning", "prompt-chaining"],
        {"guard": ["draft_reply"], "calls": 3},
    ),
    (
        "triage-then-specialists",
        {
            "categories": {
                "billing": ["lookup_invoice", "draft_reply"],
                "technical": ["diagnose_issue", "draft_reply"],
            }
        },
        "routing",
        ["prompt-chaining", "routing"],
        {"handlers": ["billing", "technical"]},
    ),
    # --- LangGraph tutorials ------------------------------------------------------------
    (
        "langgraph-customer-support",
        {"categories": ["flights", "hotels", "car_rental", "general"], "steps": ["draft_reply"]},
        "routing",
        ["routing"],
        {"calls": 2},
    ),
    (
        "langgraph-blog-writing-review",
        {"steps": ["draft_post", {"name": "review_post", "role": "check", "on_fail": "revise"}]},
        "evaluator-optimizer",
        ["evaluator-optimizer"],
        {"loop": ["draft_post"]},
    ),
    (
        "langgraph-code-migration-tests",
        {
            "steps": [
                "migrate_code",
                {"name": "run_tests", "role": "check", "by": "code", "on_fail": "revise"},
            ]
        },
        "evaluator-optimizer",
        ["evaluator-optimizer"],
        {"loop": ["migrate_code"], "evaluator_calls": 0},
    ),
    (
        "langgraph-research-with-search",
        {"flow": "unknown", "tools": ["web_search", "fetch_page"]},
        "agent-loop",
        ["agent-loop"],
        {},
    ),
    (
        "langgraph-calendar-injection",
        {
            "steps": ["propose_event"],
            "guardrails": ["prompt_injection"],
            "tools": ["create_event"],
            "approval": ["create_event"],
        },
        "parallel-sectioning",
        ["parallel-sectioning"],
        # the tool is approved, but nothing in a known flow calls it: the advice says so
        {
            "guard": ["propose_event"],
            "no_warning": "without a person's yes",
            "warning": "nothing asks",
        },
    ),
    (
        "calendar-create-unapproved",
        {"steps": ["propose_event"], "tools": ["create_event"]},
        "single-call",
        ["single-call"],
        {"warning": "create_event"},
    ),
    # --- compositions and placement -------------------------------------------------------
    (
        "draft-check-translate",
        {"steps": ["draft_article", "check_style", "translate"]},
        "prompt-chaining",
        ["prompt-chaining"],
        {"order": ["draft_article", "check_style", "translate"], "calls": 3},
    ),
    (
        "refine-middle-of-chain",
        {
            "steps": ["write_spec", "draft_docs", "translate"],
            "refine": "draft_docs",
            "criteria": ["complete"],
        },
        "evaluator-optimizer",
        ["evaluator-optimizer", "prompt-chaining"],
        {"loop": ["draft_docs"]},
    ),
    (
        "vote-on-classify-in-chain",
        {"steps": ["extract_claims", "classify_risk", "write_summary"], "needs_confidence": True},
        "parallel-voting",
        ["parallel-voting", "prompt-chaining"],
        {"vote": ["classify_risk"]},
    ),
    (
        "vote-on-free-text-warns",
        {"steps": ["write_poem"], "needs_confidence": True},
        "parallel-voting",
        ["parallel-voting"],
        {"warning": "free text"},
    ),
    (
        "systematic-errors-no-vote",
        {"steps": ["moderate"], "needs_confidence": True, "errors_are_random": False},
        "single-call",
        ["single-call"],
        {"warning": "systematic"},
    ),
    (
        "tiers-same-model-warns",
        {"steps": ["answer"], "difficulty": {"easy": "openai/gpt-4o", "hard": "openai/gpt-4o"}},
        "routing",
        ["routing"],
        {"warning": "Both difficulty tiers"},
    ),
    (
        "topic-and-tier-one-router",
        {
            "categories": ["billing", "technical"],
            "difficulty": {"easy": "openai/gpt-4o-mini", "hard": "openai/gpt-4o"},
        },
        "routing",
        ["routing"],
        {"one_router": True, "calls": 2},
    ),
    (
        "check-on-earlier-step-moves-next-to-it",
        {
            "steps": [
                "draft",
                "translate",
                {"name": "check_facts", "role": "check", "checks": "draft"},
            ]
        },
        "prompt-chaining",
        ["prompt-chaining"],
        {"order": ["draft", "check_facts", "translate"]},
    ),
    (
        "investigate-is-generate",
        {"steps": ["investigate", "aggregate", "upgrade"]},
        "prompt-chaining",
        ["prompt-chaining"],
        {"roles": {"investigate": "generate", "aggregate": "generate", "upgrade": "generate"}},
    ),
    (
        "budget-below-cost-warns",
        {"steps": ["write_report", "summarize"], "budget_usd_per_request": 0.00001},
        "prompt-chaining",
        ["prompt-chaining"],
        {"warning": "below the expected cost"},
    ),
    (
        "split-not-paying-at-low-volume",
        {
            "steps": ["answer"],
            "difficulty": {"easy": "openai/gpt-4o-mini", "hard": "openai/gpt-4o"},
            "volume_per_day": 10,
        },
        "routing",
        ["routing"],
        {"warning": "saves"},
    ),
    (
        "long-path-for-a-waiting-person",
        {"steps": ["a1", "a2", "a3", "a4", "a5"], "latency_sensitive": True},
        "prompt-chaining",
        ["prompt-chaining"],
        {"warning": "waits"},
    ),
]


@pytest.mark.parametrize(
    ("answers", "pattern", "uses", "facts"),
    [s[1:] for s in SCENARIOS],
    ids=[s[0] for s in SCENARIOS],
)
def test_scenario(answers: S, pattern: str, uses: list[str], facts: S) -> None:
    data = {"schema": 2, "name": "scenario", **answers}
    rec = diagnose(parse_answers(data))
    tree = rec.composition
    assert rec.pattern == pattern, rec.reasons
    assert rec.uses == uses
    if "calls" in facts:
        assert rec.calls_per_request.expected == facts["calls"]
    if "loop" in facts:
        assert wrapped(tree, "evaluator-optimizer") == facts["loop"]
    if "vote" in facts:
        assert wrapped(tree, "parallel-voting") == facts["vote"]
    if "guard" in facts:
        assert guarded(tree) == facts["guard"]
    if "order" in facts:
        assert chain_order(tree) == facts["order"]
    if "one_router" in facts:
        assert sum(1 for n in tree.walk() if n.pattern == "routing") == 1
    if "handlers" in facts:
        assert [c.name for c in tree.children] == facts["handlers"]
    if "evaluator_calls" in facts:
        loops = [n for n in tree.walk() if n.pattern == "evaluator-optimizer"]
        assert all(len(n.steps) == facts["evaluator_calls"] for n in loops)
    if "stop_when" in facts:
        assert tree.params.get("stop_when") == facts["stop_when"]
    if "roles" in facts:
        roles = {n.name: n.params.get("role") for n in tree.walk() if n.pattern == "single-call"}
        assert {k: roles[k] for k in facts["roles"]} == facts["roles"]
    if "no_free_text" in facts:
        assert not any("free text" in w for w in rec.warnings), rec.warnings
    if "warning" in facts:
        assert any(facts["warning"] in w for w in rec.warnings), rec.warnings
    if "no_warning" in facts:
        assert not any(facts["no_warning"] in w for w in rec.warnings), rec.warnings
    for reason in rec.reasons:
        assert "scenario" not in reason  # reasons name the user's steps, not the project


def test_at_least_thirty_scenarios() -> None:
    assert len(SCENARIOS) >= 30
