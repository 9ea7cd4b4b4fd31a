"""Defects a new user's trial found in the advisor, each as that user met it.

One project is rendered for the module (routing with one-step pipelines per category); the
other checks read the advisor's own answer (recommend, new) in-process.
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
from helpers_render import offline_env, spec_for

from advisor.commands.new import write_project
from advisor.identifiers import PROJECT_DISTRIBUTIONS, package_name
from advisor.render import template_data
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
    """The triage project (its drafts refined), rendered once: its folder and package."""
    root = tmp_path_factory.mktemp("triage")
    answers = {**TRIAGE, "refinement": True, "criteria": ["polite"], "budget_usd_per_request": 5e-5}
    made = write_project(spec_for(answers), root / "p", published=publish(store=root / "store"))
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


# 2. A project named like something its folder imports does not shadow it.

TEMPLATE = Path(__file__).parent.parent / "templates" / "project" / "template"
TEMPLATE_PYPROJECT = TEMPLATE / "pyproject.toml.jinja"
SHADOWED = [
    "dbos",
    "pytest",
    "copier",
    "wfadvise",
    "litellm",
    "openai",
    "pydantic_core",
    "sqlalchemy",
    "psycopg",
    "dotenv",
    "httpx",
    "advisor",
    "runtime",
]


@pytest.mark.parametrize("name", SHADOWED)
def test_a_project_named_like_a_dependency_gets_a_package_of_its_own(name: str) -> None:
    spec = spec_for({"name": name, "steps": ["a", "b"], "volume_per_day": 2000})
    package = template_data(spec.settings, "")["package"]
    assert package != name and package.startswith(name)


def test_every_dependency_of_the_generated_project_is_kept_free() -> None:
    text = TEMPLATE_PYPROJECT.read_text(encoding="utf-8")
    listed = {m.lower() for m in re.findall(r'"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?[<>=~]', text)}
    assert {"pydantic", "litellm", "pytest"} <= listed
    assert listed <= set(PROJECT_DISTRIBUTIONS), listed - set(PROJECT_DISTRIBUTIONS)
    for dist in listed:
        for name in PROJECT_DISTRIBUTIONS[dist]:
            assert package_name(name) != name


def test_the_generated_package_named_dbos_runs_beside_the_real_dbos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data", "name=dbos", "--data", "volume_per_day=2000", "--data", "steps=[a, b]"]
    result = run_cli(["new", str(tmp_path / "d"), *args], capsys)
    assert result.code == 0, result.err
    assert (tmp_path / "d" / "dbos_app" / "workflow.py").is_file()
    assert not (tmp_path / "d" / "dbos").exists()


# 3. A name holding the trace's step-path separator is refused up front.


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ('steps=["x]-->y", second]', "'x]-->y'"),
        ('categories={billing: [lookup, "draft>reply"], other: [reply]}', "'draft>reply'"),
        ('categories=["a>b", c]', "'a>b'"),
        ('tools=["send>mail"]', "'send>mail'"),
        ('steps=[a, {parallel: ["b>c", d], merge: code}]', "'b>c'"),
    ],
)
def test_a_name_with_the_path_separator_is_refused_in_one_line(
    data: str, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(["new", str(tmp_path / "p"), "--data", "name=t", "--data", data], capsys)
    assert result.code == 2
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert named in result.err and "holds '>'" in result.err and "rename it without" in result.err
    assert not (tmp_path / "p").exists()


# 4. A parallel stage inside a chain is told in the user's step names.


def test_a_parallel_stage_in_a_chain_is_explained_with_the_users_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stage = {"parallel": ["fact_check", "legal_check"], "merge": "code"}
    answers = {"name": "t", "schema": 2, "steps": ["draft_article", stage, "publish_summary"]}
    chain = _recommend(tmp_path, capsys, answers)["reasons"][0]
    assert "(draft_article -> (fact_check, legal_check at once) -> publish_summary)" in chain
    assert "parallel" not in chain


# 5. A tool no step uses is warned about, never claimed as called.


def test_a_tool_nothing_calls_is_warned_about_not_claimed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _recommend(tmp_path, capsys, {**TRIAGE, "tools": ["send_reply"]})
    assert not [r for r in doc["reasons"] if "send_reply" in r]
    idle = [w for w in doc["warnings"] if "send_reply" in w]
    assert len(idle) == 1 and "never calls it" in idle[0]


def test_only_the_tools_a_step_is_named_for_are_said_to_be_called(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = {"name": "t", "steps": ["draft_reply", "send_reply"], "tools": ["send_reply", "crm"]}
    doc = _recommend(tmp_path, capsys, answers)
    called = [r for r in doc["reasons"] if "calls your tools" in r]
    assert len(called) == 1 and "(send_reply)" in called[0] and "crm" not in called[0]
    assert [w for w in doc["warnings"] if "`tools` lists crm" in w]
    assert not [w for w in doc["warnings"] if "`tools` lists send_reply" in w]


# 6. Small ones.


def test_a_non_ascii_name_is_refused_with_an_ascii_spelling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["new", str(tmp_path / "p"), "--data", "name=Ünïcode desk", "--data", "steps=[a]"]
    result = run_cli(args, capsys)
    assert result.code == 2 and result.err.count("\n") == 1
    assert "ASCII letters" in result.err and "unicode-desk" in result.err
    docs = (Path(__file__).parent.parent / "docs" / "answers.md").read_text(encoding="utf-8")
    assert "ASCII letters" in docs


def test_the_readme_says_an_before_a_vowel_and_a_small_budget_in_full(
    triage: tuple[Path, str],
) -> None:
    readme = (triage[0] / "README.md").read_text(encoding="utf-8")
    assert "An **evaluator-optimizer** workflow" in readme
    assert "A **evaluator-optimizer**" not in readme
    assert "| dollars per run (`max_usd`) | 0.00005 |" in readme


def test_a_tiny_budget_is_written_without_exponent_notation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = {"name": "t", "steps": ["draft", "polish"], "budget_usd_per_request": 0.00001}
    warned = [w for w in _recommend(tmp_path, capsys, answers)["warnings"] if "budget" in w]
    assert [w for w in warned if "Your budget of $0.00001 per request" in w], warned
    assert not [w for w in warned if re.search(r"\de-\d", w)], warned


@pytest.mark.parametrize(("categories", "said"), [([], "no kinds"), (["docs"], "one kind")])
def test_a_planner_with_fewer_than_two_kinds_of_worker_is_warned_about(
    categories: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = {"name": "t", "flow": "depends-on-input", "categories": categories}
    warnings = _recommend(tmp_path, capsys, answers)["warnings"]
    assert [w for w in warnings if said in w and "same worker" in w], warnings


def test_a_planner_with_kinds_of_work_is_not_warned_about_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = {"name": "t", "flow": "depends-on-input", "categories": ["python", "docs"]}
    assert not [w for w in _recommend(tmp_path, capsys, answers)["warnings"] if "same worker" in w]
