"""`wfadvise recommend`: human output, --json per CONTRACTS §2, and bad input as one line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clirun import run_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_json_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(["recommend", "--answers", str(EXAMPLES / "routed-desk.yaml"), "--json"], capsys)
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["pattern"] == "routing"
    assert data["uses"] == ["prompt-chaining", "routing"]
    assert data["calls_per_request"] == {"expected": 4, "worst": 4}
    assert data["composition"]["pattern"] == "routing"
    assert {r["pattern"] for r in data["rejected"]} >= {"agent-loop", "orchestrator-workers"}
    assert all(isinstance(reason, str) for reason in data["reasons"])
    assert data["warnings"] == []


def test_human_output_shows_pattern_diagram_reasons_and_calls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    res = run_cli(["recommend", "--answers", str(EXAMPLES / "routed-desk.yaml")], capsys)
    assert res.code == 0, res.err
    for fragment in ("routing", "billing_diagnose", "calls per request", "why", "not chosen"):
        assert fragment in res.out
    # what was turned down is named, and why only with --details
    assert "agent-loop" in res.out and "harder to test" not in res.out
    res = run_cli(
        ["recommend", "--answers", str(EXAMPLES / "routed-desk.yaml"), "--details"], capsys
    )
    words = " ".join(res.out.split())
    assert "harder to test and audit" in words and "billing_check_tone" in words


def test_warnings_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "moderation-systematic.yaml"
    res = run_cli(["recommend", "--answers", str(path)], capsys)
    assert "warnings" in res.out and "systematic" in res.out


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name: x\ncatgories: [a, b]\n", "unknown key `catgories`"),
        ("name: x\nflow: maybe\n", "`flow`"),
        ("- a\n- b\n", "got a list"),
        ("name: [\n", "not valid YAML"),
        ("name: x\nsteps: 3\n", "`steps`"),
    ],
)
def test_bad_answers_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, fragment: str
) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(text)
    res = run_cli(["recommend", "--answers", str(path)], capsys)
    assert res.code == 2
    assert res.out == ""
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in res.err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(["recommend", "--answers", str(tmp_path / "none.yaml"), "--json"], capsys)
    assert res.code == 2 and "not found" in res.err and res.out == ""


def test_no_terminal_and_no_answers_says_how_to_pass_them() -> None:
    exe = Path(sys.executable).parent / "wfadvise"
    proc = subprocess.run(
        [str(exe), "recommend"], stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "--answers FILE" in proc.stderr and "docs/answers.md" in proc.stderr
    assert "--data" in proc.stderr
    assert "examples/" not in proc.stderr  # a regular install has no examples folder
    assert proc.stdout == ""


def test_alternatives_are_priced_and_an_unpriced_model_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = run_cli(
        ["recommend", "--answers", str(EXAMPLES / "routed-desk.yaml"), "--details"], capsys
    )
    assert re.search(r"\$[0-9.]+ a request", res.out)  # the pattern's own cost
    assert re.search(r"agent-loop \(5 calls, \$[0-9.]+\)", res.out)  # and each alternative's
    answers = tmp_path / "a.yaml"
    answers.write_text("name: x\nsteps: [a, b]\nmodels: {default: acme/never-heard-of-it}\n")
    res = run_cli(["recommend", "--answers", str(answers)], capsys)
    assert res.code == 0, res.err
    assert "no price known" in res.out
