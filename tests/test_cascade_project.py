"""examples/cascade-support.yaml end to end: the generated project runs the cascade offline,
its trace shows which answers escalated (some, not all, and the same ones every time), the
project's estimate learns that rate from the trace, and the project's own suite passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_render import example_spec, make_project, offline_env, project_suites

EXAMPLE = Path(__file__).parent.parent / "examples" / "cascade-support.yaml"
QUESTIONS = [
    "Where is my order 1234?",
    "How do I reset my password?",
    "Can I get a refund for a damaged item?",
    "My invoice shows a double charge.",
    "Do you ship to Canada?",
    "Cancel my plan, please.",
    "Change my delivery address.",
    "Is there a student discount?",
]
# Runs every question through the project's own workflow on the simulated model, one trace.
RUN_ALL = """
import json, sys
from pathlib import Path
from {pkg} import build, load_settings
from {pkg}._runtime import Run, SimulatedModel
from {pkg}._runtime.combinators import execute_sync
settings = load_settings()
trace = Path(sys.argv[1])
for question in json.loads(sys.argv[2]):
    with Run.from_settings(settings, simulated=SimulatedModel(), trace=trace) as run:
        execute_sync(build(settings), run, question)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return make_project(example_spec(EXAMPLE), tmp_path_factory.mktemp("cascade"), "support")


def _python(project: tuple[Path, str], *args: str) -> subprocess.CompletedProcess[str]:
    path, _ = project
    return subprocess.run(
        [sys.executable, *args],
        cwd=path,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _traced(project: tuple[Path, str], trace: Path) -> list[dict[str, object]]:
    done = _python(project, "-c", RUN_ALL.format(pkg=project[1]), str(trace), json.dumps(QUESTIONS))
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in trace.read_text().splitlines()]


@pytest.mark.slow
def test_the_trace_shows_which_answers_escalated_and_the_estimate_learns_the_rate(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    lines = _traced(project, tmp_path / "a.jsonl")
    decisions = [line["cascade"] for line in lines if "cascade" in line]
    assert len(decisions) == len(QUESTIONS)
    escalated = [bool(d["escalated"]) for d in decisions]  # type: ignore[index]
    assert 0 < sum(escalated) < len(QUESTIONS)  # some answers escalate, not all
    strong = [line for line in lines if str(line.get("step", "")).endswith("hard_answer_question")]
    assert len(strong) == sum(escalated)  # the strong model answered exactly those
    again = [
        line["cascade"] for line in _traced(project, tmp_path / "b.jsonl") if "cascade" in line
    ]
    assert [d["escalated"] for d in again] == escalated  # type: ignore[index]

    done = _python(
        project, "-m", project[1], "estimate", "--json", "--from-trace", str(tmp_path / "a.jsonl")
    )
    assert done.returncode == 0, done.stderr
    (b,) = json.loads(done.stdout)["cascades"]
    assert b["escalation_measured"] is True
    assert b["expected_escalation"] == pytest.approx(sum(escalated) / len(QUESTIONS), abs=1e-4)
    assert 0 < b["break_even_escalation"] < 1


@pytest.mark.slow
def test_run_mock_answers_and_the_projects_own_suite_passes(project: tuple[Path, str]) -> None:
    path, package = project
    done = _python(project, "-m", package, "run", "--mock", "--json", QUESTIONS[0])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["output"]
    assert "cascade" in (path / package / "workflow.py").read_text()
    suite = subprocess.run(
        project_suites([path]),
        cwd=path,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert "passed" in suite.stdout
