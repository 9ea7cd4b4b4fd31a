"""Every pattern and every example becomes a project that is ruff-clean, runs and passes its tests.

Generated projects need only pydantic and litellm, so they run on this interpreter (one shared
venv); each project's CLI and test suite run in their own subprocesses, side by side.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_render import EXAMPLES, PATTERN_ANSWERS, offline_env, project_suites, spec_for

from advisor.answers import load_answers
from advisor.commands.new import spec_from, write_project
from advisor.diagnose import diagnose
from advisor.render import ProjectSpec
from advisor.template_store import Published, publish

pytestmark = pytest.mark.slow

CASES: dict[str, ProjectSpec] = {
    **{f"pattern-{p}": spec_for(a) for p, a in PATTERN_ANSWERS.items()},
    **{f"example-{path.stem}": spec_from(diagnose(load_answers(path))) for path in EXAMPLES},
}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish(store=tmp_path_factory.mktemp("store") / "template-store")


def test_examples_are_covered() -> None:
    assert len(EXAMPLES) >= 8, "examples/*.yaml should hold one answers file per pattern"


BATCHES = 2  # one per xdist worker on a 2-core machine; each batch shares one pytest process


@pytest.mark.parametrize("batch", range(BATCHES))
def test_generated_projects_run_and_pass_their_own_tests(
    batch: int, tmp_path: Path, published: Published
) -> None:
    cases = sorted(CASES)[batch::BATCHES]
    made = [write_project(CASES[c], tmp_path / c, published=published) for c in cases]
    packages = [m.package for m in made]
    assert len(set(packages)) == len(packages), packages  # one interpreter imports them all
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "-q", *map(str, tmp_path.iterdir())],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout
    # Code its user owns: already as `ruff format` writes it (the vendored runtime included).
    fmt = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--check",
            "--no-cache",
            *map(str, tmp_path.iterdir()),
        ],
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    for project in made:
        _check_names(project.path, project.package)
    env = offline_env() | {"PYTHONPATH": os.pathsep.join(str(m.path) for m in made)}
    suites = subprocess.Popen(
        project_suites((m.path for m in made), "-W", "error"),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for project in made:  # the real entry point, once per project, beside the suites
        _run_cli(project.path, project.package)
    test_out, _ = suites.communicate(timeout=300)
    assert suites.returncode == 0, test_out[-6000:]
    assert f"{sum(1 for _ in tmp_path.glob('*/tests/test_*.py'))}" and " passed" in test_out


def _run_cli(project: Path, package: str) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            package,
            "run",
            "--mock",
            "--json",
            "A customer asks about an invoice.",
        ],
        cwd=project,
        env=offline_env(),
        stdin=subprocess.DEVNULL,  # not a terminal: a step under approval is refused
        capture_output=True,
        text=True,
        timeout=120,
    )
    doc = json.loads(proc.stdout)
    # A refused step keeps the work before it as the output and exits 1 (the request not done).
    refused = not doc["finished"] and "not done: " in proc.stderr
    assert proc.returncode == (1 if refused else 3 if doc["stopped_by"] else 0), proc.stderr
    assert doc["output"] not in (None, ""), (package, doc)


def _check_names(project: Path, package: str) -> None:
    """Prompt files are slugs; class names read well; schemas and tools only where used."""
    prompts = [p.name for p in (project / package / "prompts").iterdir()]
    assert prompts and all(re.fullmatch(r"[a-z0-9_]+\.md", name) for name in prompts), prompts
    workflow = (project / package / "workflow.py").read_text(encoding="utf-8")
    schemas_file = project / package / "schemas.py"
    assert schemas_file.exists() == ("schemas." in workflow), project  # only where used
    if schemas_file.exists():
        schemas = ast.parse(schemas_file.read_text(encoding="utf-8"))
        classes = [n.name for n in ast.walk(schemas) if isinstance(n, ast.ClassDef)]
        assert not [c for c in classes if re.search(r"([A-Z][a-z]+)\1", c)], classes
    has_tools = "tools." in workflow
    assert (project / package / "tools.py").exists() == has_tools, project
    assert (project / "tests" / "test_tools.py").exists() == has_tools, project
