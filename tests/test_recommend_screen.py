"""A recommendation fits one 80x45 terminal screen, in plain words, for every example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clirun import run_cli

from advisor.answers import FIELDS

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


def _screen(args: list[str], columns: int, capsys: pytest.CaptureFixture[str]) -> list[str]:
    res = run_cli(args, capsys)
    assert res.code == 0, res.err
    return res.out.splitlines()


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_fits_80_by_45(
    example: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lines = _screen(["recommend", "--answers", str(example)], 80, capsys)
    assert len(lines) <= 45, "\n".join(lines)
    assert max(len(line) for line in lines) <= 80
    text = " ".join(" ".join(lines).split())  # a phrase may wrap at 80 columns
    per = "a turn" if "conversation: true" in example.read_text() else "a request"  # a chat
    for part in ("recommendation", "why", "cost", per):  # verdict, reasons, cost
        assert part in text


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_reasons_and_rejections_are_plain_words(example: Path) -> None:
    from advisor.answers import load_answers
    from advisor.diagnose import diagnose

    rec = diagnose(load_answers(example))
    fields = [f for f in FIELDS if "_" in f] + ["flow"]
    texts = list(rec.reasons) + [r.why for r in rec.rejected]
    for text in texts:
        assert not any(re.search(rf"\b{f}\b\s*[:=]", text) for f in fields), text
        assert not re.search(rf"\b({'|'.join(fields)}) (is|has)\b", text), text
        assert not re.search(r"[+-]\d+ calls?", text), text  # "add -1 calls"


def test_a_narrow_terminal_is_respected(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    example = next(p for p in EXAMPLES if p.stem == "routed-desk")
    lines = _screen(["recommend", "--answers", str(example), "--details"], 60, capsys)
    assert max(len(line) for line in lines) <= 60


def test_repeated_handlers_are_drawn_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    example = next(p for p in EXAMPLES if p.stem == "routed-desk")
    text = "\n".join(_screen(["recommend", "--answers", str(example)], 80, capsys))
    assert "billing_draft_reply" in text and "technical_draft_reply" not in text
    assert "technical (the same as billing)" in text
    details = "\n".join(_screen(["recommend", "--answers", str(example), "--details"], 80, capsys))
    assert "technical_draft_reply" in details  # the steps table names every step
