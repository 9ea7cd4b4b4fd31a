"""`wfadvise estimate` from the command line: projects, answers, traces, charts, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.plan import Node
from runtime.settings import Settings
from tests.clirun import run_cli

EXAMPLES = Path(__file__).parent.parent / "examples"


def make_project(root: Path, model: str = "openai/gpt-4o-mini") -> Path:
    """A project folder as `wfadvise new` lays it out (the parts estimate reads)."""
    plan = Node(
        pattern="prompt-chaining",
        name="chain",
        children=[Node(pattern="single-call", name=s, steps=[s]) for s in ("draft", "review")],
    )
    settings = Settings(name="desk", pattern="prompt-chaining", plan=plan)
    settings = settings.model_copy(
        update={"models": settings.models.model_copy(update={"default": model})}
    )
    pkg = root / "desk"
    (pkg / "prompts").mkdir(parents=True)
    (root / "wfadvise-answers.yaml").write_text("name: desk\n")  # names the package
    (pkg / "settings.json").write_text(settings.dump())
    (pkg / "prompts" / "draft.md").write_text("Draft a reply to this email:\n{input}\n" * 20)
    (pkg / "prompts" / "review.md").write_text("Review:\n{input}\n")
    return root


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """`wfadvise estimate ARGS` through the real entry point: exit code, stdout + stderr."""
    result = run_cli(["estimate", *args], capsys)
    return result.code, result.out + result.err


def test_project_json_follows_the_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = invoke(capsys, str(make_project(tmp_path)), "--json", "--volume", "2000")
    assert code == 0, out
    data = json.loads(out)
    assert data["volume_per_day"] == 2000
    assert data["per_request"]["expected_calls"] == 2
    assert data["per_request"]["worst_usd"] >= data["per_request"]["expected_usd"]
    assert [s["step"] for s in data["per_step"]] == ["draft", "review"]


def test_prompt_files_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path)
    _, before = invoke(capsys, str(project), "--json")
    (project / "desk" / "prompts" / "review.md").write_text("Review carefully.\n" * 200)
    _, after = invoke(capsys, str(project), "--json")
    grew = json.loads(after)["per_step"][1]["tokens"] - json.loads(before)["per_step"][1]["tokens"]
    assert grew > 500


def test_input_tokens_change_the_cost(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = str(make_project(tmp_path))
    small = json.loads(invoke(capsys, project, "--json", "--input-tokens", "100")[1])
    big = json.loads(invoke(capsys, project, "--json", "--input-tokens", "5000")[1])
    assert big["per_request"]["expected_usd"] > small["per_request"]["expected_usd"]


def test_table_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "cost.svg"
    code, out = invoke(capsys, str(make_project(tmp_path / "p")), "--plot", str(svg))
    assert code == 0, out
    assert "draft" in out and "per month" in out and "agent-loop" in out
    assert svg.read_text().startswith("<svg") and "prompt-chaining" in svg.read_text()


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_answers_file_estimates(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = invoke(capsys, "--answers", str(example), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["per_request"]["expected_usd"] > 0
    assert data["monthly_usd"] == pytest.approx(data["daily_usd"] * 30)


def test_trace_calibrates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p")
    trace = tmp_path / "t.jsonl"
    rows = [
        {
            "step": "chain>draft",
            "model": "openai/gpt-4o-mini",
            "prompt_tokens": 1000,
            "completion_tokens": 100,
            "cost_usd": 0.00021,
            "latency_s": 1.0,
            "attempt": 1,
            "ok": True,
        },
        {
            "step": "chain>review",
            "model": "openai/gpt-4o-mini",
            "prompt_tokens": 200,
            "completion_tokens": 50,
            "cost_usd": 0.00006,
            "latency_s": 0.5,
            "attempt": 1,
            "ok": True,
        },
        {"summary": True, "calls": 2, "cost_usd": 0.00027},
    ]
    trace.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code, out = invoke(capsys, str(project), "--from-trace", str(trace), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["calibration"]["runs"] == 1
    assert data["per_request"]["expected_usd"] == pytest.approx(0.00027, rel=0.02)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["/nonexistent/project"], "no such directory"),
        ([], "nothing to estimate"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = invoke(capsys, *args)
    assert code == 2
    assert needle in out


def test_not_a_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = invoke(capsys, str(tmp_path))
    assert code == 2 and "not a wfadvise project" in out


def test_unknown_model_names_it_and_the_way_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = invoke(capsys, str(make_project(tmp_path, model="acme/mystery-9")))
    assert code == 2
    assert "acme/mystery-9" in out and '"prices"' in out
    assert "Traceback" not in out


def test_bad_trace_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text("garbage\n")
    code, out = invoke(capsys, str(make_project(tmp_path / "p")), "--from-trace", str(trace))
    assert code == 2 and "not JSON" in out


def test_real_entry_point_prints_one_line_on_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import sys

    code = "from advisor.cli import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "estimate", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_unknown_model_in_answers_says_where_to_fix_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("schema: 1\nname: x\nmodels: {default: acme/mystery}\n")
    code, out = invoke(capsys, "--answers", str(answers))
    assert code == 2
    assert "acme/mystery" in out and "answers file" in out


def test_plot_into_a_missing_folder_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nope" / "c.svg"
    code, out = invoke(capsys, str(make_project(tmp_path / "p")), "--plot", str(target))
    assert code == 2 and "does not exist" in out
    assert not target.parent.exists()
