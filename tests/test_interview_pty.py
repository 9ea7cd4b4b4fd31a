"""The real `wfadvise recommend` and `wfadvise new` in a pseudo-terminal, as a person types."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

WFADVISE = str(Path(sys.executable).parent / "wfadvise")
CLEAR, DOWN = "\x15", "\x1b[B"


def spawn(cwd: Path, args: tuple[str, ...] = ("recommend",)) -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "40", "NO_COLOR": "1"}
    env["PROMPT_TOOLKIT_NO_CPR"] = "1"  # no terminal here answers cursor-position queries
    env["WFADVISE_TEMPLATE_STORE"] = str(cwd / ".store")  # never the user's own store
    child = pexpect.spawn(
        WFADVISE,
        list(args),
        env=env,
        cwd=str(cwd),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 120),
    )
    child.delaybeforesend = None
    return child


def answer(child: pexpect.spawn, prompt: str, keys: str) -> None:
    child.expect(prompt)
    child.send(keys)


@pytest.mark.skipif(not Path(WFADVISE).exists(), reason="wfadvise is not installed in this venv")
def test_a_person_answers_fixes_a_typo_and_accepts(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    answer(child, "draw the process flow", "\r")
    answer(child, "what should the system do", "Answer support emails\r")
    answer(child, "List the steps in order", CLEAR + "diagnose, handle\r")
    answer(child, "What does diagnose do with the text", "\r")  # generate, the default
    answer(child, "What does handle do with the text", "<")  # back to diagnose's role
    answer(child, "What does diagnose do with the text", "\r")
    answer(child, "What does handle do with the text", "\r")
    answer(child, "different kinds of input", "billing, technical, general\r")
    answer(child, "need none of each other", "\r")
    answer(child, "extra confidence", "n")
    answer(child, "easy and some hard", "n")
    answer(child, "critique and revision", "n")
    answer(child, "latency matters", "y")
    answer(child, "requests per day", CLEAR + "lots\r")
    child.expect("not a whole number")  # the validation message, then the fix
    child.send(CLEAR + "1500\r")
    answer(child, "Hard cap in dollars", "0.02\r")
    answer(child, "Which models", "\r")  # OpenAI, the first choice
    answer(child, "OPENAI_API_KEY", "\r")  # the model question names the key it needs
    answer(child, "Project name", CLEAR + "support-desk\r")
    child.expect("Routing")
    child.expect("billing_diagnose")
    answer(child, "Use this pattern", "\r")
    child.expect("accepted: routing")
    child.expect("name: support-desk")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.skipif(not Path(WFADVISE).exists(), reason="wfadvise is not installed in this venv")
def test_ctrl_c_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    answer(child, "draw the process flow", DOWN + "\r")
    child.expect("what should the system do")
    child.sendcontrol("c")
    child.expect("interrupted: nothing was written")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path(WFADVISE).exists(), reason="wfadvise is not installed in this venv")
def test_new_goes_from_the_interview_to_a_project_on_disk(tmp_path: Path) -> None:
    child = spawn(tmp_path, ("new", "desk"))
    answer(child, "draw the process flow", "\r")
    answer(child, "what should the system do", "Summarise support tickets\r")
    answer(child, "List the steps in order", CLEAR + "summarise\r")
    answer(child, "different kinds of input", "\r")
    answer(child, "need none of each other", "\r")
    answer(child, "extra confidence", "n")
    answer(child, "easy and some hard", "n")
    answer(child, "critique and revision", "n")
    answer(child, "latency matters", "n")
    answer(child, r"\[10/14\].*About how many requests per day", CLEAR + "-5\r")
    child.expect("not a whole number")  # refused; the person types a real number
    child.send(CLEAR + "200\r")
    answer(child, "Hard cap in dollars", "<\r")  # back to the volume, then on again
    answer(child, "requests per day", CLEAR + "300\r")
    answer(child, "Hard cap in dollars", "\r")
    answer(child, "Which models", DOWN + DOWN + "\r")  # Ollama
    answer(child, "Which Ollama", CLEAR + "llama3.1\r")
    answer(child, "Project name", CLEAR + "ticket-summary\r")
    child.expect("Single call")
    answer(child, "Use this pattern", "\r")
    child.expect("Created")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "desk" / "ticket_summary" / "workflow.py").is_file()
    saved = (tmp_path / "desk" / "wfadvise-answers.yaml").read_text()
    assert "volume_per_day: 300" in saved and "ollama/llama3.1" in saved


@pytest.mark.skipif(not Path(WFADVISE).exists(), reason="wfadvise is not installed in this venv")
def test_ctrl_c_during_new_leaves_no_project(tmp_path: Path) -> None:
    child = spawn(tmp_path, ("new", "desk"))
    answer(child, "draw the process flow", "\r")
    child.expect("what should the system do")
    child.sendcontrol("c")
    child.expect("interrupted: nothing was written")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert not (tmp_path / "desk").exists()


@pytest.mark.skipif(not Path(WFADVISE).exists(), reason="wfadvise is not installed in this venv")
def test_a_person_says_what_a_failed_check_does(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    answer(child, "draw the process flow", "\r")
    answer(child, "what should the system do", "Write an article in Spanish\r")
    answer(child, "List the steps in order", CLEAR + "draft_article, check_style, translate\r")
    answer(child, "Who makes the check check_style", "\r")  # a model, the default
    answer(child, "When check_style fails", DOWN + "\r")  # revise: back to draft_article
    answer(child, "different kinds of input", "\r")
    answer(child, "need none of each other", "\r")
    answer(child, "extra confidence", "n")
    answer(child, "easy and some hard", "n")
    answer(child, "critique and revision", "n")
    answer(child, "latency matters", "n")
    answer(child, "requests per day", "\r")
    answer(child, "Hard cap in dollars", "\r")
    answer(child, "Which models", "\r")
    answer(child, "OPENAI_API_KEY", "\r")
    answer(child, "Project name", CLEAR + "spanish-article\r")
    answer(child, "Use this pattern", "\r")
    child.expect("on_fail: revise")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
