"""`wfadvise patterns`: the ladder, one pattern in depth, and an unknown id."""

from __future__ import annotations

import pytest
from clirun import run_cli

from advisor.pattern_guide import PATTERNS
from runtime.plan import PATTERN_IDS


def test_ladder_lists_every_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(["patterns"], capsys)
    assert res.code == 0
    for pattern in PATTERN_IDS:
        assert pattern in res.out


@pytest.mark.parametrize("pattern", PATTERN_IDS)
def test_one_pattern_in_depth(capsys: pytest.CaptureFixture[str], pattern: str) -> None:
    res = run_cli(["patterns", pattern], capsys)
    assert res.code == 0
    info = PATTERNS[pattern]  # type: ignore[index]
    for section in ("when", "when not", "calls per request", "failure modes"):
        assert section in res.out
    assert info.failure_modes[0].split()[0] in res.out
    assert info.diagram.splitlines()[0].strip()[:5] in res.out


def test_multipliers_are_labelled_as_estimates(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(["patterns", "agent-loop"], capsys)
    assert "practitioner estimate" in res.out and "~4x" in res.out


def test_unknown_id_exits_2_listing_valid_ids(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(["patterns", "agent"], capsys)
    assert res.code == 2
    assert "did you mean agent-loop" in res.err
    for pattern in PATTERN_IDS:
        assert pattern in res.err
