"""A plan with more subtasks than `max_workers`: the subtasks that ran are still synthesized,
but the run says a cap shaped the result (exit 3, `stopped: max_workers=...`) instead of
passing for complete, the synthesis is told what was left out, the trace records the subtasks
planned beside those run, and `estimate --from-trace` learns the real count while pricing no
more workers than the cap lets run. Subtasks left out for another reason (an unknown type) keep
their old behaviour: skipped with a note, and the run is complete."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers_render import make_project, offline_env, spec_for
from pydantic import BaseModel

from advisor.answers import load_answers
from advisor.diagnose import diagnose
from runtime import Limits
from runtime.combinators import Work, execute_sync, llm, orchestrate
from runtime.estimate import estimate_settings
from runtime.estimate.calibrate import calibrate
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel
from tests.clirun import run_cli

EXAMPLES = Path(__file__).parent.parent / "examples"
EXAMPLE = EXAMPLES / "orchestrator-workers.yaml"  # max_workers 5, workers by file type
NAME = "orchestrate"  # the example's orchestrator, as its trace names it
KINDS = ("python_module", "config_file", "test_file")


class Sub(BaseModel):
    """One planned subtask."""

    kind: str
    """Which worker takes it."""
    task: str
    """What to do."""


class Plan(BaseModel):
    """The planner's output."""

    subtasks: list[Sub]
    """Subtasks in order."""


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def plan_of(n: int, kind: str = "python_module") -> Plan:
    return Plan(subtasks=[Sub(kind=kind, task=f"migrate file {i}") for i in range(1, n + 1)])


def run_plan(trace: Path | None, plan: Plan, **kw: Any) -> tuple[Any, list[Work]]:
    """The example's shape on the runtime directly: a model planner (scripted), a model worker
    per file type, and a model synthesis (the Work it was given is recorded)."""
    given: list[Work] = []
    write = llm("synthesize")

    async def synthesize(run: Run, work: Work) -> Any:
        given.append(work)
        return await write(run, work)

    limits = kw.pop("limits", None)
    flow = orchestrate(
        llm("plan", response_model=Plan),
        {kind: llm(kind) for kind in KINDS},
        synthesize=synthesize,
        max_workers=kw.pop("max_workers", 5),
        name=NAME,
        **kw,
    )
    sim = SimulatedModel(script={"plan": [Reply(output=plan)]})
    with Run(simulated=sim, trace=trace, limits=limits) as run:
        outcome = execute_sync(flow, run, "move every module from logging to structlog")
    return outcome, given


def test_a_plan_over_the_cap_ends_the_run_as_a_cap_with_the_synthesis_of_what_ran(
    tmp_path: Path,
) -> None:
    outcome, given = run_plan(tmp_path / "t.jsonl", plan_of(7))
    assert outcome.exit_code == 3  # CONTRACTS §4: stopped by a cap, best result still printed
    assert outcome.stopped_by == "max_workers=5 (would reach 7)"
    assert outcome.output.startswith("[synthesize]")  # the synthesis of the five that ran
    (work,) = given
    assert [d.subtask.task for d in work.done] == [f"migrate file {i}" for i in range(1, 6)]
    # the synthesis is told what the plan left out, so its answer can say it is partial
    assert work.dropped == [
        "python_module#6: over max_workers=5",
        "python_module#7: over max_workers=5",
    ]
    assert "## Not run\n- python_module#6: over max_workers=5" in str(work)
    (cap,) = [n for n in outcome.notes if n.kind == "cap"]
    assert "plan has 7 subtasks; ran the first max_workers=5, left 2 out" in cap.message
    assert "raise max_workers in settings.json" in cap.message
    assert cap.cap == outcome.stopped_by


def test_a_budget_that_stops_the_synthesis_stays_the_reason_shown() -> None:
    # the plan and five workers take the six calls: the synthesis is refused by max_calls
    outcome, _ = run_plan(None, plan_of(7), limits=Limits(max_calls=6))
    assert outcome.exit_code == 3
    assert outcome.stopped_by == "max_calls=6 (would reach 7)"
    assert isinstance(outcome.output, Work) and len(outcome.output.done) == 5  # the best so far
    assert [n.kind for n in outcome.notes] == ["cap"]  # the left-out subtasks are still said


def test_a_plan_within_the_cap_is_a_complete_run(tmp_path: Path) -> None:
    outcome, given = run_plan(tmp_path / "t.jsonl", plan_of(5))
    assert outcome.exit_code == 0 and outcome.stopped_by is None and outcome.finished
    assert len(given[0].done) == 5 and not given[0].dropped
    assert "Not run" not in str(given[0])
    assert not [n for n in outcome.notes if n.kind == "cap"]


def test_subtasks_of_an_unknown_type_are_skipped_not_a_cap() -> None:
    plan = Plan(subtasks=[*plan_of(5).subtasks, Sub(kind="dance", task="a jig")])
    outcome, given = run_plan(None, plan)
    assert outcome.exit_code == 0 and outcome.stopped_by is None  # five ran: all it could
    assert [n.kind for n in outcome.notes] == ["skipped"]
    assert "unknown type 'dance'" in given[0].dropped[0]
    # six runnable subtasks and one unknown: the cap counts only the runnable ones
    outcome, given = run_plan(None, Plan(subtasks=[*plan.subtasks, *plan_of(1).subtasks]))
    assert outcome.stopped_by == "max_workers=5 (would reach 6)"
    assert sorted(n.kind for n in outcome.notes) == ["cap", "skipped"]


def dag_plan() -> list[dict[str, Any]]:
    """Seven subtasks in three waves: a, b; c (a), d (b), e (a, b); f (c), g (d)."""
    deps = {"c": ["a"], "d": ["b"], "e": ["a", "b"], "f": ["c"], "g": ["d"]}
    return [{"id": sid, "kind": "research", "depends_on": deps.get(sid, [])} for sid in "gfedcba"]


def test_a_plan_with_dependencies_over_the_cap_runs_a_closed_prefix_and_says_cap() -> None:
    seen: list[str] = []

    def worker(brief: Any) -> str:
        seen.append(brief.subtask["id"])
        missing = [d for d in brief.subtask["depends_on"] if d not in brief.results]
        assert not missing  # every subtask that ran had its dependencies' results
        return brief.subtask["id"]

    flow = orchestrate(
        lambda _: dag_plan(), {"research": worker}, max_workers=5, dependencies=True, name=NAME
    )
    outcome = execute_sync(flow, Run(simulated=SimulatedModel()), "x")
    assert outcome.exit_code == 3
    assert outcome.stopped_by == "max_workers=5 (would reach 7)"
    assert sorted(seen) == ["a", "b", "c", "d", "e"]  # the first two waves, dependencies first
    assert not outcome.output.missing  # nothing that ran lacked a dependency
    (cap,) = [n for n in outcome.notes if n.kind == "cap"]
    assert "ran the first max_workers=5 in dependency order, left 2 out" in cap.message


def test_the_trace_says_how_many_subtasks_were_planned_and_how_many_ran(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    run_plan(trace, plan_of(7))
    records = lines(trace)
    (plan,) = [r["plan"] for r in records if "plan" in r]
    assert (plan["name"], plan["planned"], plan["ran"], plan["max_workers"]) == (NAME, 7, 5, 5)
    assert records[-1]["summary"] is True
    assert records[-1]["stopped_by"] == "max_workers=5 (would reach 7)"
    workers = {r["step"].split(">")[1] for r in records if r.get("step", "").count(">") == 2}
    assert len(workers) == 5


def test_a_trace_that_opens_with_a_plan_line_can_be_appended_to(tmp_path: Path) -> None:
    # A code planner makes no call: the plan line is the trace's first line.
    trace = tmp_path / "t.jsonl"
    planner = lambda _: plan_of(2).subtasks  # noqa: E731
    flow = orchestrate(planner, {"python_module": llm("python_module")}, max_workers=5, name=NAME)
    for _ in range(2):
        with Run(simulated=SimulatedModel(), trace=trace) as run:
            assert execute_sync(flow, run, "x").exit_code == 0
    records = lines(trace)
    assert "plan" in records[0] and len([r for r in records if r.get("summary")]) == 2


@pytest.fixture
def capped_trace(tmp_path: Path) -> Path:
    trace = tmp_path / "plans.jsonl"
    run_plan(trace, plan_of(7))
    run_plan(trace, plan_of(3))
    return trace


def test_calibration_learns_the_subtasks_planned_and_prices_only_the_cap(
    capped_trace: Path,
) -> None:
    cal = calibrate([capped_trace])
    assert cal.workers == {NAME: 5.0}  # (7 + 3) / 2 planned, not the (5 + 3) / 2 that ran
    counts = cal.worker_counts[NAME]
    assert (counts.ran, counts.most, counts.max_workers) == (4.0, 7, 5)
    assert (counts.capped_runs, counts.runs) == (1, 2)
    settings = diagnose(load_answers(EXAMPLE)).settings()
    est = estimate_settings(settings, {}, calibration=cal, with_alternatives=False)
    # the runtime never runs more than max_workers, so neither does the estimate: the plan,
    # (min(7, 5) + 3) / 2 workers (not the (7 + 3) / 2 planned) and the synthesis per request
    assert est.logical_calls == pytest.approx(1 + 4 + 1)
    assert est.logical_calls <= est.logical_worst
    # with the cap raised, the estimate runs every subtask the traced plans held
    raised = settings.model_copy(deep=True)
    raised.plan.params["max_workers"] = 10
    wider = estimate_settings(raised, {}, calibration=cal, with_alternatives=False)
    assert wider.logical_calls == pytest.approx(1 + 5 + 1)


def test_the_estimate_says_plans_held_more_subtasks_than_the_cap(
    capped_trace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["estimate", "--answers", str(EXAMPLE), "--from-trace", str(capped_trace)]
    text = run_cli(args, capsys)
    assert text.code == 0, text.err
    flat = " ".join(text.out.split())
    assert "plans held 5 subtasks on average (up to 7)" in flat
    assert "1 of 2 traced request(s) left subtasks out" in flat
    assert "raise max_workers in settings.json" in flat
    data = run_cli([*args, "--json"], capsys)
    cal = json.loads(data.out)["calibration"]
    assert cal["workers_per_request"] == {NAME: 5.0}
    assert cal["workers_run_per_request"] == {NAME: 4.0}
    over = cal["workers_over_cap"][NAME]
    assert (over["planned_per_request"], over["most_planned"], over["max_workers"]) == (5.0, 7, 5)
    assert (over["capped_runs"], over["runs"]) == (1, 2)
    assert "raise max_workers in settings.json" in over["advice"]
    assert cal["items_over_cap"] == {}  # the map keys are still there


def test_plans_within_the_cap_give_no_advice_and_old_traces_still_calibrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = tmp_path / "small.jsonl"
    run_plan(small, plan_of(3))
    args = ["estimate", "--answers", str(EXAMPLE), "--json", "--from-trace"]
    cal = json.loads(run_cli([*args, str(small)], capsys).out)["calibration"]
    assert cal["workers_per_request"] == {NAME: 3.0} and cal["workers_over_cap"] == {}
    # a trace written before plans had a line: the workers' calls still teach the estimate
    old = tmp_path / "old.jsonl"
    kept = [x for x in small.read_text().splitlines() if '"plan": {' not in x]
    old.write_text("\n".join(kept) + "\n")
    done = run_cli([*args, str(old)], capsys)
    assert done.code == 0, done.err
    doc = json.loads(done.out)
    assert doc["calibration"]["workers_per_request"] == {}
    assert doc["per_request"]["expected_calls"] == pytest.approx(1 + 3 + 1)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """planned-research (subtasks with dependencies) at a volume that adds `batch`, with
    max_workers lowered to 2: the mock planner plans 3 to 5 subtasks, so every plan passes it."""
    answers = yaml.safe_load((EXAMPLES / "planned-research.yaml").read_text())
    spec = spec_for({**answers, "volume_per_day": 5000})
    path, package = make_project(spec, tmp_path_factory.mktemp("plancap"), "brief")
    settings_file = path / package / "settings.json"
    settings = json.loads(settings_file.read_text())
    settings["plan"]["params"]["max_workers"] = 2
    settings_file.write_text(json.dumps(settings, indent=2))
    return path, package


def _cli(project: tuple[Path, str], *args: str, text: str = "") -> subprocess.CompletedProcess[str]:
    path, package = project
    return subprocess.run(
        [sys.executable, "-m", package, *args],
        cwd=path,
        env=offline_env(),
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_the_project_run_and_batch_exit_3_with_the_stopped_line_and_the_synthesis(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    trace = tmp_path / "t.jsonl"
    done = _cli(project, "run", "--mock", "--trace", str(trace), "-", text="Nordic e-bikes?")
    assert done.returncode == 3, done.stderr
    stopped = re.search(r"stopped: max_workers=2 \(would reach (\d)\)", done.stderr)
    assert stopped, done.stderr
    assert done.stdout.startswith("[synthesize]")  # the synthesis of the subtasks that ran
    est = _cli(project, "estimate", "--from-trace", str(trace), "--json")
    assert est.returncode == 0, est.stderr
    doc = json.loads(est.stdout)
    assert doc["calibration"]["workers_per_request"] == {NAME: float(stopped.group(1))}
    assert doc["calibration"]["workers_over_cap"][NAME]["max_workers"] == 2
    assert doc["per_request"]["expected_calls"] == 1 + 2 + 1  # priced at the cap
    requests = tmp_path / "in.jsonl"
    requests.write_text('{"id": "a", "input": "Nordic e-bikes?"}\n')
    out = tmp_path / "out.jsonl"
    batch = _cli(project, "batch", str(requests), "--out", str(out), "--mock")
    assert batch.returncode == 3, batch.stderr
    (row,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert row["exit"] == 3 and row["output"].startswith("[synthesize]")
