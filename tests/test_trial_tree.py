"""Composition defects a trial found, each as the user met it in `recommend --json`'s tree
and in the generated project.

1. A category whose pipeline ends in a `revise` check was labelled after the check
   (`billing_check_tone`), so the classifier was asked for that label.
2. A difficulty split with refinement (v1 `mixed_difficulty`) gave the easy tier a call named
   `easy` with no role: its prompt never said to translate.
3. Found beside them: a one-step pipeline shared by listed categories lost the user's step
   name (`x` instead of `x_translate`), and a v2 difficulty split over one step was labelled
   `easy_draft_reply` / `hard_draft_reply` instead of by its tiers.

One project is rendered for the module (the routed check); the rest reads the advisor's tree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from clirun import run_cli
from helpers_render import spec_for

from advisor.commands.new import write_project
from advisor.template_store import publish

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CHECKED = {"name": "check_tone", "role": "check", "by": "model", "on_fail": "revise"}
ROUTED_CHECK: dict[str, Any] = {
    "schema": 2,
    "name": "mix route check",
    "task": "Answer customer emails; billing replies are checked for tone and revised",
    "categories": {"billing": ["draft_reply", CHECKED], "general": ["draft_reply"]},
}


def _recommend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], answers: dict[str, Any]
) -> dict[str, Any]:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers), encoding="utf-8")
    result = run_cli(["recommend", "--answers", str(path), "--json"], capsys)
    assert result.code == 0, result.err
    doc: dict[str, Any] = json.loads(result.out)
    return doc


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node["children"] for n in _walk(child))]


def _example(capsys: pytest.CaptureFixture[str], name: str) -> dict[str, Any]:
    result = run_cli(["recommend", "--answers", str(EXAMPLES / f"{name}.yaml"), "--json"], capsys)
    assert result.code == 0, result.err
    doc: dict[str, Any] = json.loads(result.out)
    return doc


@pytest.fixture(scope="module")
def routed_check(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The routed-check project, rendered once: its folder and package."""
    root = tmp_path_factory.mktemp("routed_check")
    made = write_project(spec_for(ROUTED_CHECK), root / "p", published=publish(store=root / "s"))
    return made.path, made.package


# 1. A handler of any shape is labelled by its category; its steps keep their names.


@pytest.mark.parametrize(
    "categories",
    [
        ROUTED_CHECK["categories"],  # each category its own pipeline
        ["billing", "general"],  # one pipeline (set below) for every category
    ],
    ids=["own-pipelines", "shared-pipeline"],
)
def test_a_handler_ending_in_a_revise_check_is_named_for_its_category(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], categories: Any
) -> None:
    answers = {**ROUTED_CHECK, "categories": categories}
    if isinstance(categories, list):
        answers["steps"] = ["draft_reply", CHECKED]
    route = _recommend(tmp_path, capsys, answers)["composition"]
    billing = route["children"][0]
    assert [c["name"] for c in route["children"]] == ["billing", "general"]
    assert route["params"]["fallback"] == "general"
    assert billing["pattern"] == "evaluator-optimizer"
    assert billing["steps"] == ["billing_check_tone"]
    assert billing["params"]["role"] == "check"
    assert [c["name"] for c in billing["children"]] == ["billing_draft_reply"]


def test_a_shared_one_step_pipeline_keeps_the_users_step_under_each_category(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CONTRACTS §2: `translate` under category `x` is `x_translate` (was a step named `x`)."""
    answers = {**ROUTED_CHECK, "categories": ["x", "y"], "steps": ["translate"]}
    route = _recommend(tmp_path, capsys, answers)["composition"]
    assert [(c["name"], c["steps"]) for c in route["children"]] == [
        ("x", ["x_translate"]),
        ("y", ["y_translate"]),
    ]
    assert all(c["params"]["role"] == "transform" for c in route["children"])


def test_the_classifier_is_asked_for_the_categories(routed_check: tuple[Path, str]) -> None:
    path, package = routed_check
    prompt = (path / package / "prompts" / "classify.md").read_text(encoding="utf-8")
    assert "- billing: requests about billing\n" in prompt
    assert "check_tone" not in prompt
    schemas = (path / package / "schemas.py").read_text(encoding="utf-8")
    label = schemas[schemas.index("class ClassifyLabel") :]
    label = label[: label.index('"""', label.index("Literal["))]
    assert '"billing"' in label and "check_tone" not in label
    # the check itself still runs on billing's draft, under its own prompt
    assert (path / package / "prompts" / "billing_check_tone.md").is_file()


# 2. The easy tier of a difficulty split runs the user's step, with its role.


def test_the_easy_tier_runs_the_users_step(capsys: pytest.CaptureFixture[str]) -> None:
    route = _example(capsys, "tiered-translation")["composition"]
    easy, hard = route["children"]
    assert (easy["name"], easy["steps"], easy["params"]) == (
        "easy",
        ["easy_translate"],
        {"role": "transform"},
    )
    assert (hard["pattern"], hard["name"]) == ("evaluator-optimizer", "hard")
    assert [c["steps"] for c in hard["children"]] == [["hard_translate"]]


@pytest.mark.parametrize("example", ["tiered-translation", "difficulty-tiers"])
def test_every_tier_names_the_users_step_and_its_role(
    capsys: pytest.CaptureFixture[str], example: str
) -> None:
    """CONTRACTS §2: a model-step node carries `params.role`, and each tier finds the step;
    the classifier's labels are the tiers (difficulty-tiers said `easy_draft_reply`)."""
    doc = _example(capsys, example)
    assert [tier["name"] for tier in doc["composition"]["children"]] == ["easy", "hard"]
    assert doc["composition"]["params"]["fallback"] == "hard"
    (step,) = yaml.safe_load((EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8"))["steps"]
    for tier in doc["composition"]["children"]:
        calls = [n for n in _walk(tier) if n["pattern"] == "single-call"]
        assert [n["steps"][0].endswith(f"_{step}") for n in calls] == [True], tier
        assert all("role" in n["params"] for n in calls), tier
