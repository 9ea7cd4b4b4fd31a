"""settings.json and --trace files as a generated project meets them: one-line errors, appends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.errors import InputError, SettingsError, TraceFileError
from runtime.model_calls.tally import StepTally
from runtime.model_calls.trace import Trace
from runtime.plan import Node
from runtime.settings import Settings


def _settings_file(tmp_path: Path, **changes: object) -> Path:
    plan = Node(pattern="single-call", name="answer", steps=["answer"])
    doc = json.loads(Settings(name="p", pattern="single-call", plan=plan).dump())
    doc.update(changes)
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"limits": {"max_tokens": 0}}, "limits.max_tokens"),
        ({"limits": {"max_calls": "ten"}}, "limits.max_calls"),
        ({"max_tokens": {"answer": 0}}, "max_tokens.answer"),
        ({"timeout_s": -1}, "timeout_s"),
        ({"maxtokens": 5}, "maxtokens"),
        ({"prices": {"m": {"input_per_mtok": 1}}}, "prices.m.output_per_mtok"),
    ],
)
def test_a_bad_field_is_one_line_naming_file_field_and_fix(
    tmp_path: Path, changes: dict[str, object], named: str
) -> None:
    path = _settings_file(tmp_path, **changes)
    with pytest.raises(SettingsError) as info:
        Settings.load(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and named in message
    assert any(fix in message for fix in ("write", "remove", "add")), message
    assert isinstance(info.value, InputError)


def test_null_limits_say_null_means_no_limit(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="null for no limit"):
        Settings.load(_settings_file(tmp_path, limits={"max_usd": 0}))


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity", "NaN"])
def test_non_finite_numbers_are_refused(tmp_path: Path, constant: str) -> None:
    path = _settings_file(tmp_path)
    path.write_text(path.read_text().replace('"timeout_s": 60.0', f'"timeout_s": {constant}'))
    with pytest.raises(SettingsError, match=constant):
        Settings.load(path)


def test_infinite_budgets_from_python_are_refused_too() -> None:
    plan = Node(pattern="single-call", name="a", steps=["a"])
    with pytest.raises(ValueError, match="finite"):
        Settings.model_validate(
            {"name": "p", "pattern": "single-call", "plan": plan, "limits": {"max_usd": 1e999}}
        )


def test_broken_json_deep_nesting_and_binary_files_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    for content in (b'{"name": "p",', b"[" * 100_000, b"\xff\xfe\x00binary"):
        path.write_bytes(content)
        with pytest.raises(SettingsError) as info:
            Settings.load(path)
        assert "\n" not in str(info.value) and str(path) in str(info.value)
    with pytest.raises(SettingsError, match="cannot read"):
        Settings.load(tmp_path / "missing.json")


def test_a_trace_is_appended_to_run_after_run(tmp_path: Path) -> None:
    path = tmp_path / "runs" / "trace.jsonl"
    path.parent.mkdir()  # a missing folder is refused (a typo must not make folders)
    for run in range(2):
        trace = Trace(path)
        trace.write({"step": "a", "run": run})
        trace.write({"summary": True, "calls": 1})
        trace.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line.get("run") for line in lines] == [0, None, 1, None]


def test_a_trace_cut_mid_line_gets_its_next_record_on_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    path.write_text('{"step": "a"}\n{"step": "b", "prompt_tok')  # a run killed while writing
    trace = Trace(path)
    trace.write({"step": "c"})
    trace.close()
    assert path.read_text().splitlines()[-1] == '{"step": "c"}'


@pytest.mark.parametrize(
    "content", ['{\n  "schema": 1\n}\n', "name,step\n", "", "\x00\x01", '["step"]\n']
)
def test_any_other_existing_file_is_refused_untouched(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    if not content:
        Trace(path).close()  # an empty file holds nothing to lose: it becomes the trace
        return
    with pytest.raises(TraceFileError, match="not a trace"):
        Trace(path)
    assert path.read_text() == content


def test_the_trace_is_created_when_made_not_at_the_first_record(tmp_path: Path) -> None:
    path = tmp_path / "new.jsonl"
    Trace(path)
    assert path.exists()  # a path that cannot be written fails here, before any call
    with pytest.raises(TraceFileError, match="folder"):
        Trace(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(TraceFileError, match="cannot write"):
        Trace(blocker / "t.jsonl")


def test_step_tally_sums_per_step_and_forwards_every_record(tmp_path: Path) -> None:
    inner = Trace(tmp_path / "t.jsonl")
    tally = StepTally(inner)
    for step, cost in (("route>classify", 0.001), ("route>billing>draft", 0.002)):
        tally.write(
            {
                "step": step,
                "model": "m",
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "cost_usd": cost,
            }
        )
    tally.write(
        {
            "step": "route>billing>draft",
            "model": "m",
            "prompt_tokens": 1,
            "completion_tokens": 0,
            "cost_usd": None,
            "ok": False,
        }
    )
    tally.write({"summary": True, "calls": 3})
    tally.close()
    steps = [s.as_dict() for s in tally.steps()]
    assert [s["name"] for s in steps] == ["classify", "draft"]
    assert steps[1] == {"name": "draft", "model": "m", "calls": 2, "tokens": 16, "cost_usd": 0.002}
    assert len((tmp_path / "t.jsonl").read_text().splitlines()) == 4
