"""The estimate learns a map's fan-out (`expected_items`) from traces: the items each request
was split into, counted from the map's trace lines, replace the default and the report says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advisor.answers import load_answers
from advisor.diagnose import diagnose
from runtime.estimate import estimate_settings
from runtime.estimate.calibrate import calibrate
from tests.clirun import run_cli

EXAMPLE = Path(__file__).parent.parent / "examples" / "map-over-sections.yaml"
MAP = "chain>each section"


def call(step: str, attempt: int = 1) -> dict[str, Any]:
    return {
        "step": step,
        "model": "openai/gpt-4o-mini",
        "prompt_tokens": 120,
        "completion_tokens": 60,
        "cost_usd": 0.00005,
        "latency_s": 0.4,
        "attempt": attempt,
        "ok": True,
    }


def traced_run(items: int, retried: int | None = None) -> list[dict[str, Any]]:
    """One request: `items` sections summarized (one of them retried), then the digest."""
    rows = [call(f"{MAP}>item#{i}>summarize_section") for i in range(1, items + 1)]
    if retried is not None:
        rows.append(call(f"{MAP}>item#{retried}>summarize_section", attempt=2))
    rows.append(call("chain>write_digest"))
    rows.append({"summary": True, "calls": len(rows), "cost_usd": 0.00005 * len(rows)})
    return rows


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    path = tmp_path / "t.jsonl"
    rows = [*traced_run(6, retried=2), *traced_run(8)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_items_per_request_are_counted_once_per_item_and_averaged(trace: Path) -> None:
    cal = calibrate([trace])
    assert cal.items == {"each section": 7.0}  # (6 + 8) / 2; the retry of item 2 counts once


def test_a_map_that_did_not_run_in_a_request_does_not_drag_its_mean_down(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    no_map = [call("chain>write_digest"), {"summary": True, "calls": 1, "cost_usd": 0.00005}]
    rows = [*traced_run(5), *no_map]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert calibrate([path]).items == {"each section": 5.0}


def test_the_estimate_report_says_the_item_count_was_measured(
    trace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["estimate", "--answers", str(EXAMPLE), "--from-trace", str(trace)]
    text = run_cli(args, capsys)
    assert text.code == 0, text.err
    assert "map each section: 7 items per request, measured in traces" in text.out
    data = run_cli([*args, "--json"], capsys)
    assert json.loads(data.out)["calibration"]["items_per_request"] == {"each section": 7.0}


def test_without_traces_nothing_claims_a_measured_item_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = run_cli(["estimate", "--answers", str(EXAMPLE)], capsys)
    assert text.code == 0 and "measured in traces" not in text.out


def test_the_projection_counts_the_measured_items_not_the_default(trace: Path) -> None:
    settings = diagnose(load_answers(EXAMPLE)).settings()
    assumed = estimate_settings(settings, {}, with_alternatives=False)
    learned = estimate_settings(
        settings, {}, calibration=calibrate([trace]), with_alternatives=False
    )
    # the designed calls of one request: one per item, then the digest
    assert assumed.logical_calls == pytest.approx(4 + 1)  # the default expected_items
    assert learned.logical_calls == pytest.approx(7 + 1)  # the mean the traces counted
    assert learned.logical_calls <= learned.logical_worst
