"""Defects a new user's trial found in the advisor, each as that user met it.

One project is rendered for the module (routing with one-step pipelines per category); the
other checks read the advisor's own answer (recommend, new) in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from clirun import run_cli
from helpers_render import offline_env, spec_for

from advisor.commands.new import write_project
from advisor.template_store import publish

TRIAGE: dict[str, Any] = {
    "name": "email triage",
    "task": "Triage customer emails",
    "schema": 2,
    "categories": {
        "billing": ["lookup_invoice", "draft_reply"],
        "general": ["draft_reply"],
        "spam": ["label"],
    },
    "volume_per_day": 5000,
}


def _answers(tmp_path: Path, answers: dict[str, Any]) -> str:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers), encoding="utf-8")
    return str(path)


def _recommend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], answers: dict[str, Any]
) -> dict[str, Any]:
    result = run_cli(["recommend", "--answers", _answers(tmp_path, answers), "--json"], capsys)
    assert result.code == 0, result.err
    doc: dict[str, Any] = json.loads(result.out)
    return doc


@pytest.fixture(scope="module")
def triage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The triage project, rendered once: its folder and package."""
    root = tmp_path_factory.mktemp("triage")
    made = write_project(spec_for(TRIAGE), root / "p", published=publish(store=root / "store"))
    return made.path, made.package


# 1. One-step pipelines per category are labelled by category; the fallback is the catch-all.


def test_one_step_categories_are_labelled_by_category_in_the_classify_prompt(
    triage: tuple[Path, str],
) -> None:
    path, package = triage
    prompt = (path / package / "prompts" / "classify.md").read_text(encoding="utf-8")
    assert "- general: requests about general" in prompt
    assert "- spam: requests about spam" in prompt
    assert "spam_label" not in prompt and "general_draft_reply" not in prompt
    assert "If none fits clearly, choose general." in prompt
    schemas = (path / package / "schemas.py").read_text(encoding="utf-8")
    assert '"spam"' in schemas and '"spam_label"' not in schemas
    readme = (path / "README.md").read_text(encoding="utf-8")
    assert '-->|"spam"|' in readme and '-->|"spam_label"|' not in readme


def test_a_capped_run_falls_back_to_the_catch_all_category(triage: tuple[Path, str]) -> None:
    path, package = triage
    proc = subprocess.run(
        [sys.executable, "-m", package, "run", "--mock", "--max-calls", "1", "I was charged twice"],
        cwd=path,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "using 'general'" in proc.stderr, proc.stderr
    assert "spam" not in proc.stderr


def test_the_explanation_names_the_fallback_and_how_to_choose_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _recommend(tmp_path, capsys, TRIAGE)
    assert "anything unclear goes to general, your catch-all" in doc["reasons"][0]
    no_catch_all = {**TRIAGE, "categories": {"billing": ["draft_reply"], "spam": ["label"]}}
    doc = _recommend(tmp_path, capsys, no_catch_all)
    labels = [child["name"] for child in doc["composition"]["children"]]
    assert labels == ["billing", "spam"]
    assert "goes to spam, the last category listed; a category named `general`" in doc["reasons"][0]
