"""What a new user's trial hit around files the advisor writes:

- `estimate --plot plot.png` wrote an SVG into a .png file, with mode 0600;
- `new DIR --dry-run` into a non-empty DIR predicted success where `new DIR` refuses.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from clirun import run_cli


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WFADVISE_TEMPLATE_STORE", str(tmp_path / "store"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)


def _file(tmp_path: Path, answers: dict[str, Any], name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(answers), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["plot.png", "plot", "chart.SVG.txt"])
def test_plot_refuses_a_file_that_is_not_svg(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = _file(tmp_path, {"name": "desk", "categories": ["a", "b"]})
    res = run_cli(["estimate", "--answers", str(answers), "--plot", str(tmp_path / name)], capsys)
    assert res.code == 2
    (line,) = res.err.strip().splitlines()
    assert ".svg" in line and name in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]


def test_plot_writes_an_svg_with_a_normal_file_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = _file(tmp_path, {"name": "desk", "categories": ["a", "b"]})
    chart = tmp_path / "cost.svg"
    old = os.umask(0o022)
    try:
        res = run_cli(["estimate", "--answers", str(answers), "--plot", str(chart)], capsys)
    finally:
        os.umask(old)
    assert res.code == 0, res.err
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<svg")
    assert stat.S_IMODE(chart.stat().st_mode) == 0o644


def test_dry_run_into_a_non_empty_folder_refuses_as_new_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = _file(tmp_path, {"name": "desk", "steps": ["draft", "review"]})
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    dry = run_cli(["new", str(target), "--answers", str(answers), "--dry-run"], capsys)
    real = run_cli(["new", str(target), "--answers", str(answers)], capsys)
    assert dry.code == real.code == 2
    assert dry.err == real.err and "--force" in dry.err
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
