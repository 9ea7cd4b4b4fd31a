"""`python -m PKG eval` in a rendered project, run as a user runs it (subprocess, offline).

Bad input: one line on stderr, exit 2, no traceback, no model call. End to end on the
simulated model: the report's contract, the eval-wide budget, prompt variants, --optimize
never overwriting the original, another rung rendered by wfadvise (and the message without
it), and `estimate --from-trace` learning only the project's own runs from an eval trace.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_render import offline_env, spec_for

from advisor.commands.new import write_project
from advisor.template_store import publish
from runtime.estimate.calibrate import calibrate

pytestmark = pytest.mark.slow

ANSWERS = {
    "name": "sentiment desk",
    "task": 'Label a product review "positive" or "negative".',
    "steps": ["extract claims", "label"],
    "criteria": ["one word: positive or negative"],
}
CASES = [
    {"input": "Great kettle, boils fast.", "expected": "positive"},
    {"input": "Broke after two days."},
    {"input": "Does what it says, nice colour."},
]
CONTRACT = {"name", "score", "wins", "usd_per_request", "latency_s", "calls_per_request"}


@dataclass(frozen=True)
class Project:
    path: Path
    package: str

    def run(self, *args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = offline_env()
        if pythonpath is not None:
            env["PYTHONPATH"] = str(pythonpath)
        return subprocess.run(
            [sys.executable, "-m", self.package, *args],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    @property
    def prompts(self) -> Path:
        return self.path / self.package / "prompts"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("eval")
    made = write_project(spec_for(ANSWERS), root / "desk", published=publish(store=root / "s"))
    cases = "".join(json.dumps(c) + "\n" for c in CASES)
    (made.path / "cases.jsonl").write_text(cases, encoding="utf-8")
    return Project(made.path, made.package)


def _one_line_usage_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("content", "args", "needle"),
    [
        (None, [], "no cases file"),
        ('{"input": "ok"}\n{"input": "x",\n', [], "line 2 is not JSON"),
        ('{"input": "ok"}\n', ["--optimize", "nosuchstep"], "no prompt file nosuchstep.md"),
        ('{"input": "ok"}\n', ["--optimize", "label", "--rounds", "0"], "--rounds must be"),
        ('{"input": "ok"}\n', ["--concurrency", "0"], "--concurrency must be at least 1"),
        ('{"input": "ok"}\n', ["--max-usd", "0"], "--max-usd must be a number above 0"),
        ('{"input": "ok"}\n', ["--against", "no-such-rung"], "not a pattern"),
        ('{"input": "ok"}\n', ["--against", "prompt-chaining"], "this project's own pattern"),
        ('{"input": "ok"}\n', ["--variant", "missing-folder"], "is not a folder"),
        ('{"input": "ok"}\n', ["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    project: Project, tmp_path: Path, content: str | None, args: list[str], needle: str
) -> None:
    cases = tmp_path / "cases.jsonl"
    if content is not None:
        cases.write_text(content, encoding="utf-8")
    trace = tmp_path / "trace.jsonl"
    proc = project.run("eval", str(cases), "--mock", "--trace", str(trace), *args)
    _one_line_usage_error(proc, needle)
    assert not trace.exists() or not trace.read_text().strip()  # no call was made


def test_a_variant_file_that_matches_no_prompt_is_refused(project: Project, tmp_path: Path) -> None:
    (tmp_path / "lable.md").write_text("typo {input}", encoding="utf-8")
    proc = project.run("eval", "cases.jsonl", "--mock", "--variant", str(tmp_path))
    _one_line_usage_error(proc, "lable.md matches no prompt file")


def test_no_key_and_no_mock_names_both_ways_out(project: Project) -> None:
    proc = project.run("eval", "cases.jsonl", "--against", "single-call")
    _one_line_usage_error(proc, "--mock")


def test_eval_against_one_call_reports_the_contract(project: Project, tmp_path: Path) -> None:
    trace, chart = tmp_path / "eval.jsonl", tmp_path / "eval.svg"
    proc = project.run(
        "eval", "cases.jsonl", "--against", "single-call", "--mock", "--json",
        "--trace", str(trace), "--chart", str(chart),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {"variants", "winner", "confidence", "cases"} <= set(doc)
    assert doc["cases"] == len(CASES)
    mine, one = doc["variants"]
    assert set(mine) >= CONTRACT and set(one) >= CONTRACT
    assert (mine["name"], one["name"]) == ("prompt-chaining", "single-call")
    assert mine["calls_per_request"] == 2 and one["calls_per_request"] == 1
    assert mine["usd_per_request"] > one["usd_per_request"] > 0
    assert mine["wins"] + one["wins"] + doc["matches"][0]["ties"] == len(CASES)
    # two cases have no `expected`: each is judged twice (both orders), reported apart
    assert doc["judge"]["calls"] == 4 and doc["judge"]["usd"] > 0
    assert doc["judge"]["asks"] == 4 and 0 <= doc["judge"]["chose_first"] <= 4
    steps = [json.loads(line).get("step") for line in trace.read_text().splitlines()]
    assert steps.count("eval>judge") == 4
    assert steps.count("eval>single-call>single-call") == len(CASES)
    assert "<svg" in chart.read_text(encoding="utf-8")
    # estimate --from-trace learns the project's own runs only, not the judge or the baseline
    learned = calibrate([trace])
    assert learned.runs == len(CASES)
    assert set(learned.steps) == {"extract claims", "label"}
    assert all(m.calls_per_run == 1 for m in learned.steps.values())


def test_the_text_report_has_the_table_and_a_verdict(project: Project) -> None:
    proc = project.run("eval", "cases.jsonl", "--against", "single-call", "--mock")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split()[:3] == ["variant", "score", "wins"]
    assert "verdict: " in proc.stdout and "winner: " in proc.stdout


def test_the_eval_budget_is_never_exceeded(project: Project, tmp_path: Path) -> None:
    trace = tmp_path / "eval.jsonl"
    cap = 0.001  # room for some of the runs (a call reserves its worst case), not all
    proc = project.run(
        "eval", "cases.jsonl", "--against", "single-call", "--mock", "--json",
        "--max-usd", str(cap), "--trace", str(trace),
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["stopped_by"] == "eval --max-usd"
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    spent = sum(line["cost_usd"] for line in lines if line.get("summary"))
    assert 0 < spent <= cap


def test_a_prompt_variant_runs_beside_the_original(project: Project, tmp_path: Path) -> None:
    (tmp_path / "label.md").write_text("Answer positive or negative: {input}", encoding="utf-8")
    original = (project.prompts / "label.md").read_bytes()
    proc = project.run("eval", "cases.jsonl", "--variant", str(tmp_path), "--mock", "--json")
    assert proc.returncode == 0, proc.stderr
    names = [v["name"] for v in json.loads(proc.stdout)["variants"]]
    assert names == ["prompt-chaining", f"variant:{tmp_path.name}"]
    assert (project.prompts / "label.md").read_bytes() == original


def test_optimize_never_writes_over_the_original(project: Project) -> None:
    before = {p.name: p.read_bytes() for p in project.prompts.iterdir()}
    proc = project.run("eval", "cases.jsonl", "--optimize", "label", "--rounds", "2", "--mock")
    assert proc.returncode == 0, proc.stderr
    assert "--optimize label" in proc.stdout
    after = {p.name: p.read_bytes() for p in project.prompts.iterdir()}
    assert {k: after[k] for k in before} == before
    assert set(after) - set(before) <= {"label.optimized.md"}
    assert ("label.optimized.md" in after) == ("wrote" in proc.stdout)


def test_against_another_rung_renders_it_with_wfadvise(project: Project) -> None:
    proc = project.run("eval", "cases.jsonl", "--against", "parallel-voting", "--mock", "--json")
    assert proc.returncode == 0, proc.stderr
    voting = json.loads(proc.stdout)["variants"][1]
    assert voting["name"] == "parallel-voting"
    assert voting["calls_per_request"] > 2  # the votes


def test_against_another_rung_without_wfadvise_says_to_install_it(
    project: Project, tmp_path: Path
) -> None:
    (tmp_path / "advisor").mkdir()
    (tmp_path / "advisor" / "__init__.py").write_text("raise ImportError('not installed')\n")
    proc = project.run("eval", "cases.jsonl", "--against", "routing", "--mock", pythonpath=tmp_path)
    _one_line_usage_error(proc, "pip install wfadvise")
