"""`wfadvise new`: atomic, refuses non-empty directories, prints the next commands."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from clirun import run_cli
from helpers_render import PATTERN_ANSWERS

from advisor.cli import main


def _wfadvise(monkeypatch: pytest.MonkeyPatch, store: Path, *args: str) -> int:
    monkeypatch.setenv("WFADVISE_TEMPLATE_STORE", str(store))
    monkeypatch.setattr(sys, "argv", ["wfadvise", *args])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(PATTERN_ANSWERS["prompt-chaining"]))
    return path


def test_new_writes_the_project_and_prints_next_commands(
    tmp_path: Path,
    answers: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "work" / "chainy"
    code = _wfadvise(monkeypatch, tmp_path / "store", "new", str(target), "--answers", str(answers))
    out = capsys.readouterr().out
    assert code == 0
    assert (target / "chainy" / "workflow.py").is_file()
    assert "prompt-chaining" in out
    assert 'python -m chainy run --mock "your input"' in out and "pytest" in out
    assert [p.name for p in target.parent.iterdir()] == ["chainy"]  # no staging left


def test_non_empty_dir_is_refused_without_force(
    tmp_path: Path,
    answers: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    code = _wfadvise(monkeypatch, tmp_path / "store", "new", str(target), "--answers", str(answers))
    assert code == 2
    assert (
        "not empty" in capsys.readouterr().err and "--force" in capsys.readouterr().err + "--force"
    )
    assert [p.name for p in target.iterdir()] == ["mine.txt"]
    code = _wfadvise(
        monkeypatch, tmp_path / "store", "new", str(target), "--answers", str(answers), "--force"
    )
    assert code == 0
    assert (target / "mine.txt").read_text() == "keep me"
    assert (target / "chainy" / "workflow.py").is_file()


@pytest.mark.parametrize(
    ("failure", "exit_code"),
    [("render", 1), ("ctrl-c", 130)],
)
def test_a_failed_render_leaves_nothing_behind(
    tmp_path: Path,
    answers: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failure: str,
    exit_code: int,
) -> None:
    import advisor.commands.new as new_mod
    from advisor.errors import Failure

    def half_render(data: object, dest: Path, **kw: object) -> Path:
        dest.mkdir(parents=True)
        (dest / "half.txt").write_text("partial")
        if failure == "ctrl-c":
            raise KeyboardInterrupt
        raise Failure("rendering the template failed: simulated")

    monkeypatch.setattr(new_mod, "render_data", half_render)
    target = tmp_path / "out" / "proj"
    code = _wfadvise(monkeypatch, tmp_path / "store", "new", str(target), "--answers", str(answers))
    assert code == exit_code
    said = capsys.readouterr().err
    assert ("simulated" if failure == "render" else "nothing was written") in said
    assert not (tmp_path / "out").exists()  # not even the folder made to hold the project


def test_no_terminal_and_no_answers_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code = _wfadvise(monkeypatch, tmp_path / "store", "new", str(tmp_path / "p"))
    assert code == 2
    assert "--answers" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_bad_answers_file_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nflow: sideways\n")
    code = _wfadvise(
        monkeypatch, tmp_path / "store", "new", str(tmp_path / "p"), "--answers", str(bad)
    )
    assert code == 2
    assert "flow" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_a_deleted_current_folder_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: a FileNotFoundError traceback from inside copier (os.getcwd in pathlib).
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(PATTERN_ANSWERS["single-call"]))
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    done = run_cli(["new", str(tmp_path / "p"), "--answers", str(answers)], capsys)
    assert done.code == 2 and done.err.count("\n") == 1
    assert "current folder no longer exists" in done.err
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("where", ["a-file/p", "/proc/wfadvise-p"])
def test_a_folder_that_cannot_hold_the_project_is_one_line_and_exit_2(
    tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: a FileExistsError (a file on the way) or FileNotFoundError (/proc) traceback.
    if where.startswith("/proc") and not Path("/proc").is_dir():
        pytest.skip("no /proc here")
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(PATTERN_ANSWERS["single-call"]))
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / where
    done = run_cli(["new", str(target), "--answers", str(answers)], capsys)
    assert done.code == 2 and done.err.count("\n") == 1
    assert str(target.parent) in done.err
    assert not target.exists() and (tmp_path / "a-file").read_text() == "not a folder"
