"""Shared helpers for the template tests: one template store per session, specs from answers."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from advisor.answers import load_answers, parse_answers
from advisor.commands.new import spec_from, write_project
from advisor.diagnose import diagnose
from advisor.render import ProjectSpec
from advisor.template_store import publish

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


def example_spec(path: Path) -> ProjectSpec:
    """The project spec the advisor makes from an answers file (an example's)."""
    return spec_from(diagnose(load_answers(path)))


def make_project(spec: ProjectSpec, root: Path, folder: str) -> tuple[Path, str]:
    """Write `spec`'s project into `root/folder` from a template store of its own in `root`:
    the project's path and its package name."""
    made = write_project(spec, root / folder, published=publish(store=root / "store"))
    return made.path, made.package


def offline_env() -> dict[str, str]:
    """The environment for a generated project's own processes: no key, no provider address,
    no real model request, and no PYTHONPATH (a project must work from its own folder alone)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    for name in ("OPENAI_API_BASE", "OPENAI_BASE_URL", "PYTHONPATH"):
        env.pop(name, None)
    env["WFADVISE_ALLOW_MODEL_REQUESTS"] = "0"
    return env


def project_suites(projects: Iterable[Path], *pytest_args: str) -> list[str]:
    """The command that runs generated projects' own suites together in one pytest process
    (without this repository's plugins: xdist, hypothesis, the cache)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        *pytest_args,
        "--import-mode=importlib",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-p",
        "no:hypothesispytest",
        *(str(p / "tests") for p in projects),
    ]
