"""Shared helpers for the template tests: one template store per session, specs from answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.answers import parse_answers
from advisor.commands.new import spec_from
from advisor.diagnose import diagnose
from advisor.render import ProjectSpec

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))

# One answers set per pattern (the examples hold the realistic scenarios and compositions).
PATTERN_ANSWERS: dict[str, dict[str, Any]] = {
    "single-call": {"name": "one shot", "steps": ["answer"]},
    "prompt-chaining": {"name": "chainy", "steps": ["outline", "draft", "polish"]},
    "routing": {"name": "desk", "categories": ["billing", "technical", "general"]},
    "parallel-sectioning": {"name": "review", "independent_subtasks": ["accuracy", "tone"]},
    "parallel-voting": {"name": "moderate", "needs_confidence": True, "steps": ["judge"]},
    "orchestrator-workers": {
        "name": "migrate",
        "flow": "depends-on-input",
        "categories": ["python", "docs"],
    },
    "evaluator-optimizer": {
        "name": "translate",
        "steps": ["translate"],
        "refinement": True,
        "criteria": ["faithful", "fluent"],
    },
    "agent-loop": {"name": "research", "flow": "unknown", "tools": ["search", "read file"]},
}


def spec_for(answers: dict[str, Any]) -> ProjectSpec:
    """The project spec the advisor makes from these answers."""
    return spec_from(diagnose(parse_answers(answers)))
