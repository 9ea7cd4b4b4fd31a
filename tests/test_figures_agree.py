"""One set of figures: for every example, `recommend --json` and `estimate --answers --json`
give the same calls and dollars per request (the same engine, the same defaults)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import run_cli

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_recommend_and_estimate_agree(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = json.loads(run_cli(["recommend", "--answers", str(path), "--json"], capsys).out)
    est = json.loads(run_cli(["estimate", "--answers", str(path), "--json"], capsys).out)
    per = est["per_request"]
    assert rec["calls_per_request"] == {
        "expected": per["expected_calls"],
        "worst": per["worst_model_calls"],
    }
    assert rec["usd_per_request"] == {"expected": per["expected_usd"], "worst": per["worst_usd"]}
