"""Planned subtasks with dependencies from answers to a running project
(examples/planned-research.yaml): the plan model refuses a plan that is not a DAG, the
workflow passes `dependencies` to the orchestrator, and `run --mock` shows the waves in its
trace, later waves' workers reading the results they depend on, and `estimate --from-trace`
learns the waves. (Its own suite, ruff and format run with every example in
test_generated_projects.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers_render import example_spec, make_project, offline_env

EXAMPLE = Path(__file__).parent.parent / "examples" / "planned-research.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return make_project(example_spec(EXAMPLE), tmp_path_factory.mktemp("dag"), "brief")


def _python(project: tuple[Path, str], *args: str, text: str = "") -> str:
    path, _ = project
    done = subprocess.run(
        [sys.executable, *args],
        cwd=path,
        env=offline_env(),
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_project_wires_dependencies_and_its_plan_refuses_a_cycle(
    project: tuple[Path, str],
) -> None:
    path, package = project
    settings = json.loads((path / package / "settings.json").read_text())
    assert settings["plan"]["params"]["dependencies"] is True
    assert "dependencies=p.param(" in (path / package / "workflow.py").read_text()
    assert "`depends_on`" in (path / package / "prompts" / "plan.md").read_text()
    check = (
        f"from {package}.schemas import Plan\n"
        "from pydantic import ValidationError\n"
        "s = lambda i, *d: {'id': i, 'kind': 'compare', 'task': 't', 'depends_on': list(d)}\n"
        "try:\n"
        "    Plan.model_validate({'subtasks': [s('a', 'b'), s('b', 'a')]})\n"
        "except ValidationError as exc:\n"
        "    print(exc)\n"
    )
    assert "go round in a cycle ('a' -> 'b' -> 'a')" in _python(project, "-c", check)


def test_run_mock_shows_waves_and_later_workers_read_the_results_they_need(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    _, package = project
    trace = tmp_path / "trace.jsonl"
    out = _python(
        project,
        *("-m", package, "run", "--mock", "--json", "--trace", str(trace), "-"),
        text="Should we enter the Nordic e-bike market?",
    )
    assert json.loads(out)["output"].startswith("[synthesize]")
    lines: list[dict[str, Any]] = [json.loads(x) for x in trace.read_text().splitlines()]
    waves: dict[str, list[int]] = {}
    for line in lines:
        path = str(line.get("step", "")).split(">")
        wave = next((seg for seg in path if seg.startswith("wave")), None)
        if wave:
            waves.setdefault(wave, []).append(int(line["prompt_tokens"]))
    assert len(waves) >= 2, waves  # the simulated planner plans real dependencies
    # a worker past the first wave carries its dependencies' results in its prompt
    assert min(min(t) for w, t in waves.items() if w != "wave1") > max(waves["wave1"])
    assert list(waves) == sorted(waves)  # the waves ran in order
    # the estimate learns the plans' depth from the trace: a request waits a call per wave
    learned = _python(project, "-m", package, "estimate", "--from-trace", str(trace), "--json")
    assert json.loads(learned)["per_request"]["critical_path_calls"] == 2 + len(waves)
    report = _python(project, "-m", package, "estimate", "--from-trace", str(trace))
    assert f"{len(waves)} waves per request, measured in traces" in report
