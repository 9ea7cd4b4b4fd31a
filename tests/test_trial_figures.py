"""The figures a user sees for one set of answers are one set: `recommend --json`, the generated
README, `wfadvise estimate DIR` and the untouched project's own `python -m PKG estimate` all
price the prompt files the template writes (a new user's trial found recommend pricing a
default prompt size: $0.0015627 expected against the project's $0.00152408).

One rendered project per example, shared by the module's tests (renders are cached).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from clirun import run_cli
from helpers_render import EXAMPLES, make_project, offline_env, spec_for

from advisor.answers import parse_answers
from advisor.diagnose import diagnose
from advisor.prompt_texts import prompt_texts
from runtime.estimate import project_prompts
from runtime.estimate.project import folder_reader

pytestmark = pytest.mark.slow

# The trial's invoice desk (a check that revises) and its triage desk (a pipeline per category).
TRIAL = {
    "invoice-desk": {
        "schema": 2,
        "name": "Invoice Fields Desk",
        "task": "Extract vendor, date, total and VAT from an invoice, then validate the totals "
        "add up",
        "steps": [
            "extract_fields",
            {"name": "validate_totals", "role": "check", "on_fail": "revise"},
            "class",
        ],
        "volume_per_day": 1500,
        "budget_usd_per_request": 0.01,
    },
    "triage": {
        "schema": 2,
        "name": "email-triage",
        "task": "Triage customer emails into 4 queues",
        "categories": {
            "billing": ["lookup_invoice", "draft_reply"],
            "technical": ["diagnose", "draft_reply", "check_reply"],
            "sales": ["draft_reply"],
            "spam": ["label"],
        },
        "volume_per_day": 5000,
        "tools": ["send_reply"],
    },
}
CHOSEN = ["routed-desk", "cascade-support", "chat-tutor"]
"""Examples with many prompt files, a cascade's confidence prompt, and a conversation."""


def _answers(name: str) -> dict[str, Any]:
    if name in TRIAL:
        return TRIAL[name]
    path = next(p for p in EXAMPLES if p.stem == name)
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module", params=[*TRIAL, *CHOSEN])
def made(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, str]:
    """(example name, project folder, package), rendered once per example."""
    name: str = request.param
    root = tmp_path_factory.mktemp(f"figures-{name}")
    path, package = make_project(spec_for(_answers(name)), root, "project")
    return name, path, package


def _recommended(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(_answers(name)), encoding="utf-8")
    result = run_cli(["recommend", "--answers", str(answers), "--json"], capsys)
    assert result.code == 0, result.err
    return json.loads(result.out)


def _per_request(payload: str) -> tuple[Any, Any, Any, Any]:
    per = json.loads(payload)["per_request"]
    return (
        {"expected": per["expected_calls"], "worst": per["worst_model_calls"]},
        per["expected_usd"],
        per["worst_usd"],
        per["worst_calls"],
    )


def test_the_untouched_projects_estimate_gives_recommends_figures(
    made: tuple[str, Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, path, package = made
    rec = _recommended(name, tmp_path, capsys)
    own = subprocess.run(
        [sys.executable, "-m", package, "estimate", "--json"],
        cwd=path,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert own.returncode == 0, own.stderr
    calls, expected, worst, _ = _per_request(own.stdout)
    assert rec["usd_per_request"] == {"expected": expected, "worst": worst}
    assert rec["calls_per_request"] == calls
    outside = run_cli(["estimate", str(path), "--json"], capsys)
    assert _per_request(outside.out) == _per_request(own.stdout)


def test_the_readme_shows_the_figures_the_project_estimates(
    made: tuple[str, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, path, _ = made
    est = run_cli(["estimate", str(path), "--json"], capsys)
    _, expected, worst, _ = _per_request(est.out)
    readme = (path / "README.md").read_text(encoding="utf-8")
    row = re.search(r"\| dollars per request \| expected \$(\S+), worst \$(\S+) ", readme)
    assert row is not None, readme
    assert (float(row[1]), float(row[2])) == (expected, worst)


def test_prompt_texts_are_the_files_new_writes(made: tuple[str, Path, str]) -> None:
    name, path, package = made
    rec = diagnose(parse_answers(_answers(name)))
    written = project_prompts(rec.settings(), folder_reader(path / package / "prompts"))
    assert written  # every model step has its file
    assert prompt_texts(rec) == written


@pytest.mark.parametrize("name", [*TRIAL, *(p.stem for p in EXAMPLES)])
def test_no_steps_worst_passes_the_requests_worst(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The trial's invoice desk showed validate_totals at worst 36 calls and $0.0372 under a
    request capped at 14 calls and $0.01: the run's limits cap every step too."""
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(_answers(name)), encoding="utf-8")
    result = run_cli(["estimate", "--answers", str(answers), "--json"], capsys)
    if result.code == 2 and "no price known" in result.err:
        pytest.skip("an example without a known price")
    est = json.loads(result.out)
    per = est["per_request"]
    for step in est["per_step"]:
        assert step["worst_calls"] <= per["worst_calls"], step
        for key in ("worst_tokens", "worst_usd"):
            if per[key] is not None:
                assert step[key] is not None and step[key] <= per[key], step


def test_the_step_table_says_step_worsts_are_not_additive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(TRIAL["invoice-desk"]), encoding="utf-8")
    est = json.loads(run_cli(["estimate", "--answers", str(answers), "--json"], capsys).out)
    worst = {s["step"]: s["worst_calls"] for s in est["per_step"]}
    assert worst["validate_totals"] == est["per_request"]["worst_calls"] == 14
    shown = run_cli(["estimate", "--answers", str(answers)], capsys).out
    assert "not additive" in " ".join(shown.split())
