"""`wfadvise new`: --dry-run, --data, the answers it used, --check's progress, and leftovers
of a killed `new` cleaned up without touching one still running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from clirun import run_cli
from helpers_render import PATTERN_ANSWERS

from advisor.errors import Failure
from advisor.project_check import check_project
from advisor.staging import OWNER_FILE, STALE_AFTER_S, make_staging, remove_leftovers


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WFADVISE_TEMPLATE_STORE", str(tmp_path / "store"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(PATTERN_ANSWERS["prompt-chaining"]))
    return path


def test_dry_run_lists_the_files_and_writes_nothing(
    tmp_path: Path, answers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "proj"
    res = run_cli(["new", str(target), "--answers", str(answers), "--dry-run"], capsys)
    assert res.code == 0, res.err
    assert "nothing was written" in res.out
    assert "chainy/workflow.py" in res.out and "README.md" in res.out
    assert "wfadvise-answers.yaml" in res.out
    assert not (tmp_path / "out").exists()


def test_data_overrides_the_file_and_is_saved_with_the_project(
    tmp_path: Path, answers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "proj"
    args = ["new", str(target), "--answers", str(answers), "--data", "volume_per_day=42"]
    res = run_cli([*args, "--data", "models={default: anthropic/claude-haiku-4-5}"], capsys)
    assert res.code == 0, res.err
    saved = yaml.safe_load((target / "wfadvise-answers.yaml").read_text())
    assert saved["volume_per_day"] == 42 and saved["name"] == "chainy"
    assert saved["models"] == {"default": "anthropic/claude-haiku-4-5"}
    # the answers used are printed, with where they are saved; Next: comes last
    assert "Answers used (saved in" in res.out and "volume_per_day: 42" in res.out
    assert res.out.index("Answers used") < res.out.index("Next:")
    # the saved file is an answers file: the same project again, from it alone
    again = run_cli(["new", str(tmp_path / "again"), "--answers", str(target / ANSWERS)], capsys)
    assert again.code == 0, again.err
    assert (tmp_path / "again" / "chainy" / "settings.json").read_text() == (
        target / "chainy" / "settings.json"
    ).read_text()


ANSWERS = "wfadvise-answers.yaml"


def test_data_alone_is_enough_off_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "desk"
    res = run_cli(["new", str(target), "--data", "steps=draft, review", "--dry-run"], capsys)
    assert res.code == 0, res.err
    assert "prompt-chaining" in res.out and "desk/workflow.py" in res.out


@pytest.mark.parametrize(
    ("flag", "said"),
    [
        ("stpes=[a, b]", "unknown key `stpes` (did you mean `steps`?)"),
        ("steps", "write KEY=VALUE"),
        ("flow=sideways", "`flow`"),
        ("volume_per_day=lots", "`volume_per_day`"),
        ("steps=[a, b", "not a YAML value"),
        ("api_base=localhost", "give the server's URL"),
        ("name=y", "given twice"),
    ],
)
def test_bad_data_exits_2_naming_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, said: str
) -> None:
    res = run_cli(["new", str(tmp_path / "p"), "--data", "name=x", "--data", flag], capsys)
    assert res.code == 2
    assert said in res.err and "Traceback" not in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()


def test_recommend_takes_data_too(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(["recommend", "--data", "categories=[billing, tech]", "--json"], capsys)
    assert res.code == 0, res.err
    assert '"pattern": "routing"' in res.out


# --- --check shows each stage as it runs --------------------------------------------------


def test_check_reports_each_stage_with_its_time(tmp_path: Path) -> None:
    said: list[str] = []
    ticks = iter(range(0, 1000, 5))

    def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        said.append(f"ran {Path(cmd[0]).name} {cmd[2] if len(cmd) > 2 else ''}")
        return subprocess.CompletedProcess(cmd, 0, stdout="3 passed in 1.0s\n", stderr="")

    result = check_project(tmp_path, echo=said.append, run=run, clock=lambda: next(ticks))
    stages = [line for line in said if line.startswith("--check ")]
    assert [s.split(":")[0] for s in stages] == ["--check 1/3", "--check 2/3", "--check 3/3"]
    assert "creating a venv" in stages[0] and "installing" in stages[1] and "tests" in stages[2]
    assert sum("done in 5.0s" in line for line in said) == 3
    assert result.startswith("--check passed") and "3 passed" in result


def test_check_failure_names_the_stage(tmp_path: Path) -> None:
    def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        code = 1 if "pip" in cmd else 0
        return subprocess.CompletedProcess(cmd, code, stdout="", stderr="no matching dist")

    with pytest.raises(Failure, match="while installing the project") as err:
        check_project(tmp_path, echo=lambda _: None, run=run)
    assert "no matching dist" in str(err.value)


def test_next_comes_after_the_check(
    tmp_path: Path, answers: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    import advisor.commands.new as new_mod

    def fake_check(project: Path, *, echo: Any) -> str:
        echo("--check 1/3: creating a venv...")
        return "--check passed in 9s: 3 passed"

    monkeypatch.setattr(new_mod, "check_project", fake_check)
    res = run_cli(["new", str(tmp_path / "p"), "--answers", str(answers), "--check"], capsys)
    assert res.code == 0, res.err
    out = res.out
    assert out.index("Created") < out.index("--check 1/3") < out.index("--check passed")
    assert out.index("--check passed") < out.index("Next:")


# --- leftovers of a killed `new` --------------------------------------------------------------


def test_a_killed_new_leaves_staging_that_the_next_new_removes(
    tmp_path: Path, answers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from advisor.staging import make_staging\n"
        "make_staging(Path(sys.argv[1]))\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p")], check=False)
    assert proc.returncode == -9
    left = [p for p in tmp_path.iterdir() if ".wfadvise-" in p.name]
    assert len(left) == 1
    res = run_cli(["new", str(tmp_path / "q"), "--answers", str(answers)], capsys)
    assert res.code == 0, res.err
    assert not any(".wfadvise-" in p.name for p in tmp_path.iterdir())


def test_a_running_new_keeps_its_staging(tmp_path: Path) -> None:
    mine = make_staging(tmp_path / "p")  # this process is alive
    assert remove_leftovers(tmp_path) == []
    assert mine.is_dir()
    # an hour later it is a leftover even if the pid was reused
    later = os.stat(mine).st_mtime + STALE_AFTER_S + 1
    assert remove_leftovers(tmp_path, now=lambda: later) == [mine]


def test_only_staging_folders_are_touched(tmp_path: Path) -> None:
    dead = make_staging(tmp_path / "p")
    (dead / OWNER_FILE).write_text("999999999")
    keep = [tmp_path / ".p.other", tmp_path / "p.wfadvise-x", tmp_path / "mine"]
    for path in keep:
        path.mkdir()
    removed = remove_leftovers(tmp_path, alive=lambda pid: False)
    assert removed == [dead]
    assert all(p.is_dir() for p in keep)


def test_dry_run_into_a_busy_folder_says_what_it_would_replace(
    tmp_path: Path, answers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "README.md").write_text("mine")
    args = ["new", str(target), "--answers", str(answers), "--dry-run"]
    refused = run_cli(args, capsys)  # without --force, as `new` itself: exit 2
    assert refused.code == 2 and "--force" in refused.err
    res = run_cli([*args, "--force"], capsys)
    assert res.code == 0, res.err
    assert "README.md (replaces your file)" in res.out
    assert [p.name for p in target.iterdir()] == ["README.md"]
    assert (target / "README.md").read_text() == "mine"


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("name=no", "no"),  # text stays text: not YAML's false
        ("task=Answer: politely, briefly", "Answer: politely, briefly"),
        ("steps=draft, review", ["draft", "review"]),
        ("steps=[draft, review]", ["draft", "review"]),
        ("volume_per_day=2000", 2000),
        ("budget_usd_per_request=0.05", 0.05),
        ("refinement=true", True),
        ("models={default: ollama/llama3.1}", {"default": "ollama/llama3.1"}),
    ],
)
def test_data_values_are_read_as_a_person_means_them(flag: str, value: object) -> None:
    from advisor.data_flags import parse_data

    key = flag.split("=", 1)[0]
    assert parse_data([flag]) == {key: value}


def test_data_refuses_yaml_aliases() -> None:
    from advisor.data_flags import parse_data
    from advisor.errors import UserError

    with pytest.raises(UserError, match="aliases"):
        parse_data(["models={a: &x m, b: *x}"])


def test_a_compatible_server_reaches_the_generated_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    target = tmp_path / "local"
    flags = [
        "steps=[extract, summarize, check_facts]",
        "models={default: openai/gemma-3-270m}",
        "api_base=http://127.0.0.1:8080/v1",
    ]
    res = run_cli(["new", str(target), *(f for flag in flags for f in ("--data", flag))], capsys)
    assert res.code == 0, res.err
    settings = json.loads((target / "local" / "settings.json").read_text())
    assert settings["models"]["api_base"] == "http://127.0.0.1:8080/v1"
    # every step on the server's model: no OpenAI small model sneaks in for a check step
    assert settings["models"]["default"] == "openai/gemma-3-270m"
    assert set(settings["models"]["steps"].values()) <= {"openai/gemma-3-270m"}


def test_ctrl_c_during_check_says_the_project_is_complete(
    tmp_path: Path, answers: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    import advisor.commands.new as new_mod

    def interrupted(project: Path, *, echo: Any) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(new_mod, "check_project", interrupted)
    res = run_cli(["new", str(tmp_path / "p"), "--answers", str(answers), "--check"], capsys)
    assert res.code == 130
    assert "is complete; only the check stopped" in res.err
    assert "nothing was written" not in res.err
    assert (tmp_path / "p" / "chainy" / "workflow.py").is_file()


def test_saved_step_mappings_keep_only_what_was_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "v2.yaml"
    answers.write_text(
        "schema: 2\nname: blog\n"
        "steps: [draft_article, {name: check_style, role: check}, translate]\n"
    )
    target = tmp_path / "proj"
    res = run_cli(["new", str(target), "--answers", str(answers)], capsys)
    assert res.code == 0, res.err
    text = (target / ANSWERS).read_text()
    assert "null" not in text and "null" not in res.out
    check = yaml.safe_load(text)["steps"][1]
    assert check["name"] == "check_style" and check["role"] == "check"
    again = run_cli(["new", str(tmp_path / "again"), "--answers", str(target / ANSWERS)], capsys)
    assert again.code == 0, again.err
    assert (tmp_path / "again" / "blog" / "workflow.py").read_text() == (
        target / "blog" / "workflow.py"
    ).read_text()
