"""A map over items whose input holds more items than `max_items`: the items that ran still go
on to the next step, but the run says a cap shaped the result (exit 3, `stopped: max_items=...`)
instead of passing for complete, the trace records the items found beside the items run, and
`estimate --from-trace` learns the real count while pricing no more than the cap runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers_render import example_spec, make_project, offline_env

from advisor.answers import load_answers
from advisor.diagnose import diagnose
from runtime.combinators import chain, execute_sync, llm
from runtime.combinators.each import each, split_text
from runtime.estimate import estimate_settings
from runtime.estimate.calibrate import calibrate
from runtime.estimate.fanouts import items_lines
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import SimulatedModel
from tests.clirun import run_cli

EXAMPLE = Path(__file__).parent.parent / "examples" / "map-over-sections.yaml"
MAP = "each section"  # the example's map, as its trace names it
CAP = 8
BOOK = "\n\n".join(f"Chapter {n} tells part {n} of the story." for n in range(1, 12))  # 11


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def run_book(trace: Path, text: str = BOOK) -> tuple[Any, list[str]]:
    """The example's shape on the runtime directly: summarize each section, then a digest step
    that records what it was given."""
    given: list[str] = []

    async def write_digest(run: Run, value: Any) -> str:
        given.append(str(value))
        return f"digest of {len(str(value).split(chr(10) * 2))} summaries"

    flow = chain(
        each(MAP, llm("summarize_section"), split_text, max_items=CAP, concurrency=4),
        write_digest,
    )
    with Run(simulated=SimulatedModel(), trace=trace) as run:
        outcome = execute_sync(flow, run, text)
    return outcome, given


def test_items_over_the_cap_end_the_run_as_a_cap_with_the_items_that_ran(tmp_path: Path) -> None:
    outcome, given = run_book(tmp_path / "t.jsonl")
    assert outcome.exit_code == 3  # CONTRACTS §4: stopped by a cap, best result still printed
    assert outcome.stopped_by == "max_items=8 (would reach 11)"
    # the eight items that ran still reached the next step, and its output is the result
    assert len(given) == 1 and len(given[0].split("\n\n")) == CAP
    assert all(part.startswith("[summarize_section]") for part in given[0].split("\n\n"))
    assert outcome.output == "digest of 8 summaries"
    (cap,) = [n for n in outcome.notes if n.kind == "cap"]
    assert "input has 11 items; ran the first max_items=8, left 3 out" in cap.message
    assert cap.cap == outcome.stopped_by


def test_an_input_within_the_cap_is_a_complete_run(tmp_path: Path) -> None:
    outcome, given = run_book(tmp_path / "t.jsonl", "\n\n".join(["a", "b", "c"]))
    assert outcome.exit_code == 0 and outcome.stopped_by is None and outcome.finished
    assert len(given[0].split("\n\n")) == 3
    assert not [n for n in outcome.notes if n.kind == "cap"]


def test_the_trace_says_how_many_items_were_found_and_how_many_ran(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    run_book(trace)
    records = lines(trace)
    (split,) = [r["map"] for r in records if "map" in r]
    assert (split["name"], split["found"], split["ran"], split["max_items"]) == (MAP, 11, 8, 8)
    assert records[-1]["summary"] is True
    assert records[-1]["stopped_by"] == "max_items=8 (would reach 11)"
    items = {r["step"].split(">")[-2] for r in records if "step" in r and "item#" in r["step"]}
    assert len(items) == CAP


@pytest.fixture
def capped_trace(tmp_path: Path) -> Path:
    trace = tmp_path / "book.jsonl"
    run_book(trace)
    return trace


def test_calibration_learns_the_items_found_and_prices_only_the_cap(capped_trace: Path) -> None:
    cal = calibrate([capped_trace])
    assert cal.items == {MAP: 11.0}  # the real count, not the 8 the cap let run
    counts = cal.item_counts[MAP]
    assert (counts.ran, counts.max_items, counts.capped_runs, counts.runs) == (8.0, 8, 1, 1)
    settings = diagnose(load_answers(EXAMPLE)).settings()
    est = estimate_settings(settings, {}, calibration=cal, with_alternatives=False)
    # the runtime never runs more than max_items, so neither does the estimate: 8 and the digest
    assert est.logical_calls == pytest.approx(CAP + 1)
    assert est.logical_calls <= est.logical_worst


def test_the_estimate_says_inputs_held_more_items_than_the_cap(
    capped_trace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["estimate", "--answers", str(EXAMPLE), "--from-trace", str(capped_trace)]
    text = run_cli(args, capsys)
    assert text.code == 0, text.err
    flat = " ".join(text.out.split())
    assert "inputs held 11 items on average" in flat
    assert "raise max_items in settings.json" in flat
    data = run_cli([*args, "--json"], capsys)
    cal = json.loads(data.out)["calibration"]
    assert cal["items_per_request"] == {MAP: 11.0}
    assert cal["items_run_per_request"] == {MAP: 8.0}
    over = cal["items_over_cap"][MAP]
    assert (over["found_per_request"], over["max_items"], over["capped_runs"]) == (11.0, 8, 1)
    assert "raise max_items in settings.json" in over["advice"]


def test_traces_of_inputs_within_the_cap_give_no_advice_to_raise_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "small.jsonl"
    run_book(trace, "\n\n".join(["a", "b", "c"]))
    data = run_cli(
        ["estimate", "--answers", str(EXAMPLE), "--from-trace", str(trace), "--json"], capsys
    )
    cal = json.loads(data.out)["calibration"]
    assert cal["items_per_request"] == {MAP: 3.0} and cal["items_over_cap"] == {}


def test_one_request_over_the_cap_is_reported_even_when_the_mean_is_under_it(
    tmp_path: Path,
) -> None:
    trace = tmp_path / "two.jsonl"
    run_book(trace, "\n\n".join(["a", "b", "c"]))  # 3 items
    run_book(trace, BOOK + "\n\none more")  # 12 items, 8 run
    counts = calibrate([trace]).item_counts[MAP]
    assert (counts.found, counts.ran, counts.most, counts.capped_runs) == (7.5, 5.5, 12, 1)
    (advice,) = items_lines({MAP: counts.found}, {MAP: counts})[1:]
    assert "inputs held 7.5 items on average (up to 12)" in advice
    assert "1 of 2 traced request(s) left items out" in advice
    # Priced as the items that can run: each input cut at the cap (3 and 8), not the cut mean.
    settings = diagnose(load_answers(EXAMPLE)).settings()
    est = estimate_settings(settings, {}, calibration=calibrate([trace]), with_alternatives=False)
    assert est.logical_calls == pytest.approx(5.5 + 1)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return make_project(example_spec(EXAMPLE), tmp_path_factory.mktemp("mapcap"), "digest")


@pytest.mark.slow
def test_the_project_run_exits_3_with_the_stopped_line_and_the_result(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    path, package = project
    trace = tmp_path / "t.jsonl"
    cli = [sys.executable, "-m", package]
    done = subprocess.run(
        [*cli, "run", "--mock", "--trace", str(trace), "-"],
        cwd=path,
        env=offline_env(),
        input=BOOK,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert "stopped: max_items=8 (would reach 11) (printed the best result so far)" in done.stderr
    assert done.stdout.startswith("[write_digest]")  # the digest of the items that ran
    est = subprocess.run(
        [*cli, "estimate", "--from-trace", str(trace), "--json"],
        cwd=path,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert est.returncode == 0, est.stderr
    doc = json.loads(est.stdout)
    assert doc["calibration"]["items_per_request"] == {MAP: 11.0}
    assert doc["per_request"]["expected_calls"] == CAP + 1
