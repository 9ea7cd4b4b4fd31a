"""Rendering through copier: the store, the data, what a project holds, and safe names."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml
from helpers_render import PATTERN_ANSWERS, spec_for

from advisor.commands.new import write_project
from advisor.identifiers import package_name, py_str, unique_identifiers
from advisor.render import copier_data, render_data
from advisor.template_store import Published, TemplateSource, default_source, publish, tags
from runtime.settings import Settings


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish(store=tmp_path_factory.mktemp("store") / "template-store")


def test_publish_is_idempotent_and_tags_the_version(published: Published) -> None:
    again = publish(store=published.path)
    assert again == published
    assert tags(published.path) == [published.tag]
    vendored = (
        published.path / "template" / "{{ package }}" / "_runtime" / "model_calls" / "models.py"
    )
    assert (
        vendored.read_bytes()
        == (default_source().runtime_dir / "model_calls" / "models.py").read_bytes()
    )


def test_changed_content_at_the_same_version_gets_a_post_tag(tmp_path: Path) -> None:
    src = default_source()
    template = tmp_path / "template"
    import shutil

    shutil.copytree(src.template_dir, template)
    store = tmp_path / "store"
    first = publish(
        TemplateSource(template_dir=template, runtime_dir=src.runtime_dir, version="9.0"), store
    )
    (template / "template" / "NOTE.md").write_text("new\n")
    second = publish(
        TemplateSource(template_dir=template, runtime_dir=src.runtime_dir, version="9.0"), store
    )
    assert (first.tag, second.tag) == ("9.0", "9.0.post1")


def test_project_layout_and_answers_record(tmp_path: Path, published: Published) -> None:
    spec = spec_for(PATTERN_ANSWERS["routing"])
    made = write_project(spec, tmp_path / "desk", published=published)
    pkg = made.path / made.package
    for rel in ("pyproject.toml", "README.md", ".gitignore", ".env.example", "tests/conftest.py"):
        assert (made.path / rel).is_file(), rel
    for rel in ("__init__.py", "__main__.py", "workflow.py", "schemas.py"):
        assert (pkg / rel).is_file(), rel
    # A router has no tools: no tools module, no test for it.
    assert not (pkg / "tools.py").exists() and not (made.path / "tests/test_tools.py").exists()
    assert (pkg / "_runtime" / "model_calls" / "models.py").is_file()
    assert Settings.load(pkg / "settings.json") == spec.settings
    for step in spec.settings.plan.all_steps():
        assert (pkg / "prompts" / f"{step}.md").read_text().count("{input}") == 1
    recorded = yaml.safe_load((made.path / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == published.tag
    assert recorded["recommendation"]["pattern"] == "routing"
    assert recorded["answers"]["categories"] == ["billing", "technical", "general"]
    assert "OPENAI_API_KEY=" in (made.path / ".env.example").read_text()


def test_readme_explains_and_draws_the_workflow(tmp_path: Path, published: Published) -> None:
    spec = spec_for(PATTERN_ANSWERS["routing"])
    made = write_project(spec, tmp_path / "desk", published=published)
    readme = (made.path / "README.md").read_text()
    assert "```mermaid\nflowchart TD" in readme
    for label in ("billing", "technical", "general"):
        assert f'|"{label}"|' in readme
    for reason in spec.recommendation["reasons"]:
        assert reason.splitlines()[0] in readme
    for alt in spec.recommendation["rejected"]:
        assert f"`{alt['pattern']}`" in readme
    assert f"python -m {made.package} run --mock" in readme
    assert "wfadvise update" in readme and "estimate" in readme


def test_workflow_reads_like_the_pattern(tmp_path: Path, published: Published) -> None:
    made = write_project(spec_for(PATTERN_ANSWERS["routing"]), tmp_path / "d", published=published)
    code = (made.path / made.package / "workflow.py").read_text()
    assert "return route(" in code and '"billing": ' in code and "fallback=" in code
    assert len(code.splitlines()) < 60  # the topology fits on one screen


@pytest.mark.parametrize(
    "checked",
    [
        {"name": "review_post", "role": "check", "on_fail": "revise"},
        {"name": "run_tests", "role": "check", "by": "code", "on_fail": "revise"},
    ],
)
def test_a_check_that_revises_its_step_imports_the_loop_it_builds(
    tmp_path: Path, published: Published, checked: dict[str, str]
) -> None:
    # A check with on_fail: revise is an evaluator loop around its step: workflow.py calls
    # refine(), so it must import it (it once used it unimported: NameError on the first run).
    answers = {"schema": 2, "name": "blog", "steps": ["draft_post", checked]}
    made = write_project(spec_for(answers), tmp_path / "b", published=published)
    tree = ast.parse((made.path / made.package / "workflow.py").read_text())
    imported = {
        a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names
    }
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert "refine" in called
    assert called <= imported | {"len", "Path", "Parts"}, called - imported
    if checked.get("by") != "code":  # the model check's prompt judges its check, not a list
        prompt = (made.path / made.package / "prompts" / "review_post.md").read_text()
        assert 'the "review post" check' in prompt  # was "against every criterion:" + nothing
        assert "criterion" not in prompt


def test_identifiers_are_valid_unique_and_never_keywords() -> None:
    ids = unique_identifiers(["class", "Draft", "draft", "2nd pass", "ü", "", "run"])
    assert list(ids.values()) == [
        "class_",
        "draft",
        "draft_2",
        "step_2nd_pass",
        "u",
        "step_2",  # "step" is taken by the generated code
        "run_2",
    ]
    assert all(v.isidentifier() for v in ids.values())
    assert package_name("json") == "json_app" and package_name("9 lives") == "workflow_9_lives"
    for text in ['a"b', "x\\y", "{{ }}", '"""', "\n\x00\u2028"]:
        assert ast.literal_eval(py_str(text)) == text


def test_plain_copier_copy_with_the_answers_file_as_data(
    tmp_path: Path, published: Published
) -> None:
    from copier import run_copy

    made = write_project(
        spec_for(PATTERN_ANSWERS["agent-loop"]), tmp_path / "a", published=published
    )
    recorded = yaml.safe_load((made.path / ".copier-answers.yml").read_text())
    data = {k: v for k, v in recorded.items() if not k.startswith("_")}
    data_file = tmp_path / "data.yml"
    data_file.write_text(yaml.safe_dump(data))
    again = tmp_path / "again"
    run_copy(
        str(published.path),
        again,
        data=yaml.safe_load(data_file.read_text()),
        vcs_ref=published.tag,
        defaults=True,
        quiet=True,
    )
    for rel in ("research/workflow.py", "research/settings.json", "README.md"):
        assert (again / rel).read_text() == (made.path / rel).read_text()
    assert json.loads((again / "research/settings.json").read_text())["pattern"] == "agent-loop"


def test_names_make_slug_files_and_readable_classes(tmp_path: Path, published: Published) -> None:
    answers = {
        "name": "Code Migration",
        "flow": "depends-on-input",
        "categories": ["Python module", "SQL query"],
    }
    spec = spec_for(answers)
    assert "plan" in spec.settings.plan.all_steps()  # the planner step is called "plan"
    made = write_project(spec, tmp_path / "m", published=published)
    pkg = made.path / made.package
    files = sorted(p.name for p in (pkg / "prompts").iterdir())
    assert all(re.fullmatch(r"[a-z0-9_]+\.md", f) for f in files), files
    assert "python_module.md" in files
    classes = [
        n.name
        for n in ast.walk(ast.parse((pkg / "schemas.py").read_text()))
        if isinstance(n, ast.ClassDef)
    ]
    assert "Plan" in classes and "PlanSubtask" in classes, classes
    assert not any(re.search(r"([A-Z][a-z]+)\1", c) for c in classes), classes  # no PlanPlan


def test_agent_tools_module_and_its_test_exist_only_with_tools(
    tmp_path: Path, published: Published
) -> None:
    made = write_project(
        spec_for(PATTERN_ANSWERS["agent-loop"]), tmp_path / "a", published=published
    )
    assert (made.path / made.package / "tools.py").is_file()
    assert (made.path / "tests" / "test_tools.py").is_file()


def test_api_base_from_copier_data_reaches_settings_and_readme(
    tmp_path: Path, published: Published
) -> None:
    data = copier_data(spec_for(PATTERN_ANSWERS["single-call"]))
    assert data["settings"]["models"]["api_base"] is None
    dest = render_data(
        {**data, "api_base": "http://127.0.0.1:8080/v1"}, tmp_path / "p", published=published
    )
    settings = Settings.load(dest / data["package"] / "settings.json")
    assert settings.models.api_base == "http://127.0.0.1:8080/v1"
    assert "http://127.0.0.1:8080/v1" in (dest / "README.md").read_text()
    plain = render_data(data, tmp_path / "q", published=published)
    assert Settings.load(plain / data["package"] / "settings.json").models.api_base is None


def test_readme_says_how_to_add_a_key_and_switch_provider(
    tmp_path: Path, published: Published
) -> None:
    made = write_project(spec_for(PATTERN_ANSWERS["routing"]), tmp_path / "d", published=published)
    readme = (made.path / "README.md").read_text()
    assert "cp .env.example .env" in readme
    for provider in ("anthropic/", "ollama/", "llama.cpp", "vLLM", '"api_base"'):
        assert provider in readme, provider
