"""A generated project's own command line, run as a user runs it: `python -m PKG ...`.

Each pattern is rendered once for the module; every test drives the real entry point in a
subprocess from the project folder, with no API key and no PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_render import PATTERN_ANSWERS, offline_env, spec_for

from advisor.commands.new import write_project
from advisor.template_store import publish

pytestmark = pytest.mark.slow

RUN_KEYS = {"output", "finished", "stopped_by", "error", "notes", "calls", "cost_usd", "steps"}
STEP_KEYS = {"name", "model", "calls", "tokens", "cost_usd"}
INPUT = "A customer asks about an invoice."


@dataclass(frozen=True)
class Project:
    path: Path
    package: str

    def run(self, *args: str, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
        """`python -m PKG ARGS` in the project folder, offline and keyless."""
        return subprocess.run(
            [sys.executable, "-m", self.package, *args],
            cwd=self.path,
            env=offline_env(),
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )

    @property
    def settings(self) -> Path:
        return self.path / self.package / "settings.json"


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Project]:
    """One rendered project per pattern, shared by the module's tests."""
    root = tmp_path_factory.mktemp("projects")
    published = publish(store=root / "store")
    made = {
        pattern: write_project(spec_for(answers), root / pattern, published=published)
        for pattern, answers in PATTERN_ANSWERS.items()
    }
    return {p: Project(m.path, m.package) for p, m in made.items()}


@pytest.fixture
def desk(projects: dict[str, Project]) -> Iterator[Project]:
    """The routing project; its settings.json and .env are restored after each test."""
    project = projects["routing"]
    saved = project.settings.read_bytes()
    yield project
    project.settings.write_bytes(saved)
    (project.path / ".env").unlink(missing_ok=True)


def test_run_json_has_the_same_keys_for_every_pattern(projects: dict[str, Project]) -> None:
    for pattern, project in projects.items():
        proc = project.run("run", "--mock", "--json", INPUT)
        doc = json.loads(proc.stdout)
        assert set(doc) == RUN_KEYS, (pattern, sorted(doc))
        assert proc.returncode == (3 if doc["stopped_by"] else 0), proc.stderr
        assert isinstance(doc["finished"], bool) and isinstance(doc["notes"], list)
        assert doc["output"] not in (None, "", {}), pattern
        assert doc["steps"] and all(set(s) == STEP_KEYS for s in doc["steps"]), doc["steps"]
        # The steps account for the whole run: every call and every cent.
        assert sum(s["calls"] for s in doc["steps"]) == doc["calls"], pattern
        step_usd = sum(s["cost_usd"] or 0 for s in doc["steps"])
        assert step_usd == pytest.approx(doc["cost_usd"], abs=1e-7), pattern


def test_vote_and_refine_print_the_answer_itself_not_a_wrapper(
    projects: dict[str, Project],
) -> None:
    for pattern in ("parallel-voting", "evaluator-optimizer", "agent-loop"):
        doc = json.loads(projects[pattern].run("run", "--mock", "--json", INPUT).stdout)
        assert isinstance(doc["output"], str), (pattern, doc["output"])


def test_a_closed_stdout_exits_quietly(projects: dict[str, Project]) -> None:
    # `python -m PKG run ... | head -c1`, made deterministic: the reader is gone before the write.
    read, write = os.pipe()
    os.close(read)
    try:
        proc = projects["single-call"].run("run", "--mock", "--json", INPUT, stdout=write)
    finally:
        os.close(write)
    assert proc.stderr == ""
    assert proc.returncode == 141  # 128 + SIGPIPE, as other Unix tools report it


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--max-usd", "nan"], "--max-usd"),
        (["--max-usd", "inf"], "--max-usd"),
        (["--max-usd", "-0.5"], "--max-usd"),
        (["--max-usd", "0"], "--max-usd"),
        (["--max-calls", "0"], "--max-calls"),
        (["--max-calls", "-3"], "--max-calls"),
        (["--max-tokens", "0"], "--max-tokens"),
        (["--max-tokens", "many"], "--max-tokens"),
        (["--mock-latency", "nan"], "--mock-latency"),
    ],
)
def test_a_flag_that_would_disable_or_block_a_budget_exits_2_in_one_line(
    desk: Project, flags: list[str], named: str
) -> None:
    trace = desk.path / "flag-trace.jsonl"
    proc = desk.run("run", "--mock", "--trace", str(trace), *flags, INPUT)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in proc.stderr
    assert not trace.exists()  # refused before anything was opened


def test_a_budget_that_stops_before_any_result_says_so_and_prints_nothing(desk: Project) -> None:
    # Seen on a real server: a limit too small for the first call printed an empty line and
    # "stopped: ... (printed the best result so far)", though nothing had been printed.
    proc = desk.run("run", "--mock", "--max-tokens", "20", INPUT)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    assert "stopped: max_tokens=20" in proc.stderr and "no result" in proc.stderr
    assert "printed the best result" not in proc.stderr


def test_estimate_flags_are_checked_too(desk: Project) -> None:
    for flags in (["--volume", "-1"], ["--input-tokens", "0"]):
        proc = desk.run("estimate", *flags)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def _edit_settings(project: Project, edit: str) -> None:
    doc = json.loads(project.settings.read_text())
    if edit == "invalid json":
        project.settings.write_text(json.dumps(doc, indent=2)[:-10])
        return
    if edit == "infinity":
        text = json.dumps(doc, indent=2).replace('"timeout_s": 60.0', '"timeout_s": Infinity')
        assert "Infinity" in text
        project.settings.write_text(text)
        return
    if edit == "wrong type":
        doc["limits"]["max_calls"] = "ten"
    elif edit == "step max_tokens 0":
        doc["max_tokens"][next(iter(doc["max_tokens"]))] = 0
    elif edit == "limit max_tokens 0":
        doc["limits"]["max_tokens"] = 0
    elif edit == "unknown field":
        doc["max_token"] = 5
    project.settings.write_text(json.dumps(doc, indent=2))


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ("invalid json", "JSON"),
        ("infinity", "Infinity"),
        ("wrong type", "limits.max_calls"),
        ("step max_tokens 0", "max_tokens."),
        ("limit max_tokens 0", "limits.max_tokens"),
        ("unknown field", "max_token"),
    ],
)
def test_a_bad_settings_file_exits_2_with_one_line_naming_file_and_field(
    desk: Project, edit: str, field: str
) -> None:
    _edit_settings(desk, edit)
    proc = desk.run("run", "--mock", INPUT)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "settings.json" in lines[0] and field in lines[0]
    assert any(fix in lines[0] for fix in ("write", "remove", "fix", "restore")), lines[0]
    assert desk.run("estimate").returncode == 2  # the same check for every command


def test_a_missing_prompt_file_exits_2_with_one_line_naming_it(desk: Project) -> None:
    # Before: exit 1 and "error: [Errno 2] No such file or directory: '.../prompts/x.md'".
    prompt = next((desk.path / desk.package / "prompts").glob("*.md"))
    saved = prompt.read_bytes()
    prompt.unlink()
    try:
        proc = desk.run("run", "--mock", INPUT)
    finally:
        prompt.write_bytes(saved)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert prompt.name in proc.stderr and "restore it" in proc.stderr


def test_trace_appends_run_after_run(desk: Project, tmp_path: Path) -> None:
    trace = tmp_path / "runs.jsonl"
    for _ in range(2):
        assert desk.run("run", "--mock", "--trace", str(trace), INPUT).returncode == 0
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    summaries = [r for r in records if r.get("summary")]
    assert len(summaries) == 2
    assert sum(s["calls"] for s in summaries) == len(records) - 2
    est = desk.run("estimate", "--json", "--from-trace", str(trace))
    assert json.loads(est.stdout)["calibration"]["runs"] == 2


def test_trace_refuses_a_file_that_is_not_a_trace_before_any_call(desk: Project) -> None:
    before = desk.settings.read_bytes()
    proc = desk.run("run", "--mock", "--trace", str(desk.settings), INPUT)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "not a trace" in proc.stderr
    assert proc.stdout == ""  # nothing ran
    assert desk.settings.read_bytes() == before


def test_an_unwritable_trace_path_stops_before_the_first_call(desk: Project) -> None:
    # A trace "inside" a regular file cannot be created: refused up front, not after a paid call.
    proc = desk.run("run", "--mock", "--trace", str(desk.settings / "t.jsonl"), INPUT)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "trace" in proc.stderr


def test_the_key_is_read_from_dotenv_without_overriding_the_environment(desk: Project) -> None:
    no_key = desk.run("run", INPUT)
    assert no_key.returncode == 2
    assert "OPENAI_API_KEY" in no_key.stderr and ".env" in no_key.stderr
    assert "--mock" in no_key.stderr
    # With the key in .env the run gets past the key check; the environment's own
    # WFADVISE_ALLOW_MODEL_REQUESTS=0 still wins over the .env line that says 1.
    (desk.path / ".env").write_text(
        "OPENAI_API_KEY=sk-from-dotenv-0000000000\nWFADVISE_ALLOW_MODEL_REQUESTS=1\n"
    )
    with_key = desk.run("run", INPUT)
    assert "no API key" not in with_key.stderr
    assert "model requests are disabled" in with_key.stderr
    assert "sk-from-dotenv" not in with_key.stderr + with_key.stdout


def test_help_lists_every_subcommand(desk: Project) -> None:
    proc = desk.run("--help")
    assert proc.returncode == 0
    assert "run" in proc.stdout and "estimate" in proc.stdout
    wrong = desk.run("nope")
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1


def test_a_run_refused_for_a_missing_price_leaves_no_trace_file(desk: Project) -> None:
    trace = desk.path / "priced.jsonl"
    proc = desk.run(
        "run", "--mock", "--model", "openai/no-such-model", "--max-usd", "1",
        "--trace", str(trace), INPUT,
    )  # fmt: skip
    assert proc.returncode == 2 and '"prices"' in proc.stderr
    assert not trace.exists()  # nothing half-written
