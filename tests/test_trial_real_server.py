"""What a trial against a real llama.cpp server found (it answers HTTP 500 to a json_schema
response_format): a batch row holds the answer `run` prints, a refused format is remembered for
the whole batch, and `estimate --from-trace` counts no refused attempt as a call."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from batch_fixtures import Project, env_mock, env_stub, rows, run
from helpers_render import make_project
from pydantic import BaseModel
from stub_server import StubServer, completion_body

from advisor.answers import parse_answers
from advisor.commands.new import spec_from
from advisor.diagnose import diagnose
from runtime.estimate import calibrate
from runtime.model_calls.structured import forget_traits
from runtime.volume.durable import DurableRun, Journal, Sharing
from runtime.volume.limits import Ledger
from runtime.volume.lineage import enter_request
from runtime.volume.store import Store, sqlite_url

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).parent.parent / "examples"
LABEL = json.dumps({"label": "easy"})
"""The stub's reply to every call: the classifier's label, and the easy branch's translation."""


def _example(root: Path, name: str) -> Project:
    answers = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    spec = spec_from(diagnose(parse_answers(answers | {"volume_per_day": 50_000}, source="t")))
    path, package = make_project(spec, root, name)
    return Project(path, package)


@pytest.fixture(scope="module")
def vote(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """examples/parallel-voting.yaml with `batch`: five votes, the majority's answer."""
    return _example(tmp_path_factory.mktemp("vote"), "parallel-voting")


@pytest.fixture(scope="module")
def tiers(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """examples/tiered-translation.yaml with `batch`: a structured `classify` routes to an easy
    step or to an evaluator-optimizer loop."""
    return _example(tmp_path_factory.mktemp("tiers"), "tiered-translation")


def _one_row(project: Project, tmp_path: Path, text: str, env: dict[str, str]) -> dict[str, Any]:
    requests, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    requests.write_text(json.dumps({"id": "q1", "input": text}) + "\n", encoding="utf-8")
    done = run(project, ["batch", str(requests), "--out", str(out), "--mock"], env)
    assert done.returncode == 0, done.stderr
    (row,) = rows(out)
    return row


def _run_json(project: Project, text: str) -> dict[str, Any]:
    done = run(project, ["run", "--mock", "--json", text], env_mock())
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


@pytest.mark.parametrize("which", ["vote", "tiers"])
def test_a_rows_output_is_the_answer_run_json_gives(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project: Project = request.getfixturevalue(which)
    text = "Please translate: Save your changes before closing"
    doc = _run_json(project, text)
    row = _one_row(project, tmp_path, text, env_mock())
    # The vote's tally and the refine loop's rounds are run --json's notes, not the answer.
    assert isinstance(doc["output"], str) and doc["output"]
    assert row["output"] == doc["output"]
    assert set(row) == {"id", "output", "exit", "calls", "cost_usd", "error"}


def _batch(project: Project, tmp_path: Path, stub: StubServer, count: int) -> tuple[Path, Any]:
    requests, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [json.dumps({"id": f"r{i}", "input": f"Save file {i}"}) for i in range(count)]
    requests.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["batch", str(requests), "--out", str(out), "--model", "openai/gpt-4o-mini"]
    return out, run(project, args, env_stub(stub.base_url))


def _formats(stub: StubServer) -> list[str | None]:
    return [(r.body.get("response_format") or {}).get("type") for r in stub.requests]


def test_a_refused_json_schema_is_sent_once_in_a_whole_batch(
    tiers: Project, tmp_path: Path, stub: StubServer
) -> None:
    stub.refuse_formats = {"json_schema"}
    stub.default = completion_body(LABEL)
    out, done = _batch(tiers, tmp_path, stub, 5)
    assert done.returncode == 0, done.stderr
    assert [r["exit"] for r in rows(out)] == [0] * 5
    formats = _formats(stub)
    # Five classifications and five easy translations; the refusal is learned once.
    assert formats.count("json_schema") == 1, formats
    assert formats.count("json_object") == 5, formats
    assert done.stderr.count("refused json_schema") <= 1, done.stderr
    # Each row's calls are what the server did for it: a refused probe is no call.
    assert sum(r["calls"] for r in rows(out)) == 10
    # Resumed, nothing finished is sent again.
    before = len(stub.requests)
    _, again = _batch(tiers, tmp_path, stub, 5)
    assert again.returncode == 0, again.stderr
    assert len(stub.requests) == before


def test_estimate_from_a_trace_counts_no_refused_attempt(
    tiers: Project, tmp_path: Path, stub: StubServer
) -> None:
    stub.refuse_formats = {"json_schema"}
    stub.default = completion_body(LABEL, prompt_tokens=40, completion_tokens=6)
    trace = tmp_path / "trace.jsonl"
    args = ["run", "--model", "openai/gpt-4o-mini", "--trace", str(trace), "Save file"]
    done = run(tiers, args, env_stub(stub.base_url))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    refused = [line for line in lines if line.get("refused")]
    assert [r["response_format"] for r in refused] == ["json_schema"]
    summary = lines[-1]
    assert summary["summary"] and summary["calls"] == len(stub.requests) - 1 == 2
    # run --json's per-step calls agree with the summary: the refused attempt is no call
    stub.refuse_formats = {"json_schema"}
    shown = run(tiers, [*args[:3], "--json", "Save file"], env_stub(stub.base_url))
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert sum(s["calls"] for s in doc["steps"]) == doc["calls"] == 2

    est = run(tiers, ["estimate", "--from-trace", str(trace), "--json"], env_stub(stub.base_url))
    assert est.returncode == 0, est.stderr
    report = json.loads(est.stdout)
    per_step = {s["step"]: s["calls"] for s in report["per_step"]}
    assert per_step["classify"] == 1
    assert report["per_request"]["expected_calls"] == summary["calls"]


def _line(**fields: Any) -> str:
    base = {"step": "classify", "model": "openai/m", "latency_s": 0.01, "attempt": 1}
    return json.dumps(base | fields)


def test_an_older_traces_zero_token_failure_is_no_call(tmp_path: Path) -> None:
    """A trace written before refusals were marked: a failed attempt with no token counted."""
    trace = tmp_path / "old.jsonl"
    lines = [
        _line(prompt_tokens=0, completion_tokens=0, cost_usd=0.0, ok=False, error="HTTP 500"),
        _line(prompt_tokens=50, completion_tokens=5, cost_usd=0.001, ok=True),
        _line(step="reply", prompt_tokens=80, completion_tokens=40, cost_usd=0.002, ok=True),
        json.dumps({"summary": True, "calls": 2, "cost_usd": 0.003, "stopped_by": None}),
    ]
    trace.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cal = calibrate([trace])
    assert cal.calls_per_run("classify") == 1
    assert cal.steps["classify"].prompt_tokens == 50  # a mean over calls, not over attempts
    # A failed attempt the provider may have billed (a timeout, counted at its reservation)
    # still counts.
    timed_out = _line(prompt_tokens=50, completion_tokens=100, cost_usd=0.001, ok=False)
    trace.write_text("\n".join([timed_out, *lines]) + "\n", encoding="utf-8")
    assert calibrate([trace]).calls_per_run("classify") == 2


class Label(BaseModel):
    label: str


def _durable(store: Store, workflow: str, base_url: str) -> DurableRun:
    run = DurableRun(models="openai/gpt-4o-mini", api_base=base_url, api_key="test")
    sharing = Sharing(ledger=Ledger(store, "b", "me"), limiter=None)
    return run.make_durable(Journal(store, workflow), sharing)


async def _classify_three(run: DurableRun) -> list[str]:
    """Three structured calls at once, as requests or parallel branches make them."""
    enter_request()

    async def one(text: str) -> str:
        done = await run.call("classify", [{"role": "user", "content": text}], response_model=Label)
        return str(done.output.label)

    return list(await asyncio.gather(one("a"), one("b"), one("c")))


def test_a_replayed_request_sends_no_finished_call_again(tmp_path: Path, stub: StubServer) -> None:
    """A recovered request in a new process (nothing remembered about the server) replays
    its finished json_object calls; only the refused probe is sent again (no work, no cost)."""
    url = sqlite_url(tmp_path / "store.sqlite")
    store = Store(url)
    store.create_tables()
    store.save_batch("b", {}, 1.0)
    stub.refuse_formats = {"json_schema"}
    stub.default = completion_body(LABEL)
    first = asyncio.run(_classify_three(_durable(store, "b/r1", stub.base_url)))
    assert first == ["easy"] * 3
    assert _formats(stub) == ["json_schema", "json_object", "json_object", "json_object"]
    forget_traits()  # a new process
    stub.default = completion_body(json.dumps({"label": "hard"}))  # would answer otherwise
    sent = len(stub.requests)
    again = asyncio.run(_classify_three(_durable(store, "b/r1", stub.base_url)))
    store.close()
    assert again == first
    assert _formats(stub)[sent:] == ["json_schema"]
