"""Category and worker names that collide with the names a plan uses itself still work.

`fallback`, `hard`, `easy`, `classify`, `plan`, `synthesize`, `skip`, `fail`: a routing
fallback or an orchestrator's `on_unknown` must keep naming one of its handlers when the
handlers are renamed (prefixed under difficulty routing, or made unique beside a step of the
same name), else the generated project's `build()` raises and its own tests fail.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers_render import offline_env, project_suites
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.answers import parse_answers
from advisor.commands.new import spec_from, write_project
from advisor.diagnose import diagnose
from advisor.template_store import publish
from runtime.plan import Node

INTERNAL = [
    "fallback",
    "hard",
    "easy",
    "classify",
    "classify_difficulty",
    "plan",
    "synthesize",
    "merge",
    "evaluate",
    "route",
    "skip",
    "fail",
    "other",
    "class",
    "None",
    "a b",
    "a-b",
    "hard_billing",
    "billing",
]


def _check_labels(node: Node) -> None:
    labels = [child.name for child in node.children]
    if node.pattern == "routing":
        assert node.params["fallback"] in labels, (node.params, labels)
    if node.pattern == "orchestrator-workers":
        assert node.params["on_unknown"] in labels, (node.params, labels)
    for child in node.children:
        _check_labels(child)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    categories=st.lists(st.sampled_from(INTERNAL), min_size=2, max_size=4, unique_by=str.lower),
    shape=st.sampled_from(["route", "difficulty", "orchestrate", "orchestrate-refine"]),
    steps=st.lists(st.sampled_from(INTERNAL), max_size=2, unique_by=str.lower),
)
def test_fallback_and_on_unknown_name_a_handler_whatever_the_names(
    categories: list[str], shape: str, steps: list[str]
) -> None:
    answers: dict[str, Any] = {"name": "desk", "categories": categories, "steps": steps}
    if shape == "difficulty":
        answers["mixed_difficulty"] = True
    if shape.startswith("orchestrate"):
        answers["flow"] = "depends-on-input"
    if shape == "orchestrate-refine":
        answers |= {"refinement": True, "criteria": ["clear"]}
    plan = diagnose(parse_answers(answers)).composition
    _check_labels(plan)
    all_steps = [s.lower() for s in plan.all_steps()]
    assert len(all_steps) == len(set(all_steps)), all_steps


@pytest.mark.slow
def test_colliding_category_names_generate_projects_that_pass_their_own_tests(
    tmp_path: Path,
) -> None:
    cases: dict[str, dict[str, Any]] = {
        "billing_difficulty": {
            "categories": ["billing", "fallback"],
            "mixed_difficulty": True,
        },
        "hard_easy": {"categories": ["hard", "easy"], "mixed_difficulty": True},
        "plan_workers": {"flow": "depends-on-input", "categories": ["fallback", "plan"]},
    }
    published = publish(store=tmp_path / "store")
    made = [
        write_project(
            spec_from(diagnose(parse_answers({"name": name, **answers}))),
            tmp_path / name,
            published=published,
        )
        for name, answers in cases.items()
    ]
    env = offline_env() | {"PYTHONPATH": os.pathsep.join(str(m.path) for m in made)}
    proc = subprocess.run(
        project_suites(m.path for m in made),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
