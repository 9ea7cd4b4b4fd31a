"""`python -m PKG batch` end to end on the default SQLite store: rows, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_fixtures import (
    HIGH_VOLUME,
    Project,
    env_mock,
    env_stub,
    rows,
    run,
    write_inputs,
)
from stub_server import StubServer

pytestmark = pytest.mark.slow


def test_sqlite_default_runs_every_request_once_and_resumes(
    single: Project, tmp_path: Path
) -> None:
    ids = write_inputs(tmp_path / "in.jsonl", 12)
    out = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--mock", "--concurrency", "3"]
    first = run(single, args, env_mock())
    assert first.returncode == 0, first.stderr
    got = rows(out)
    assert sorted(r["id"] for r in got) == sorted(ids)
    assert all(r["exit"] == 0 and r["output"] and r["calls"] == 1 for r in got)
    assert all(set(r) == {"id", "output", "exit", "calls", "cost_usd", "error"} for r in got)
    assert (single.path / ".wfadvise" / "batch.sqlite").is_file()  # the store is in the project
    assert "12/12 done, 0 failed" in first.stderr
    assert first.stderr.count("\n") == 1  # no terminal: one summary line, nothing else
    again = run(single, args, env_mock())
    assert again.returncode == 0, again.stderr
    assert rows(out) == got  # nothing run or written twice


def test_new_lines_in_the_input_run_on_the_next_run(single: Project, tmp_path: Path) -> None:
    write_inputs(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--mock"]
    assert run(single, args, env_mock()).returncode == 0
    write_inputs(tmp_path / "in.jsonl", 5)
    assert run(single, args, env_mock()).returncode == 0
    assert sorted(r["id"] for r in rows(out)) == ["r0", "r1", "r2", "r3", "r4"]


def test_a_malformed_line_is_a_failed_row_and_the_batch_goes_on(
    single: Project, tmp_path: Path
) -> None:
    lines = [
        json.dumps({"id": "a", "input": "first"}),
        "{not json",
        json.dumps("a bare string is its own request"),
        json.dumps({"id": "b"}),
        json.dumps({"id": "c", "input": "last"}),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    done = run(
        single, ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--mock"], env_mock()
    )
    assert done.returncode == 1  # some failed
    assert "line 2: not JSON" in done.stderr and "line 4:" in done.stderr
    by_id = {r["id"]: r for r in rows(out)}
    assert set(by_id) == {"a", "2", "3", "b", "c"}  # a bad line keeps the id it gave
    assert by_id["2"]["exit"] == 2 and "line 2" in by_id["2"]["error"]
    assert by_id["b"]["exit"] == 2 and 'line 4: "input"' in by_id["b"]["error"]
    assert by_id["3"]["exit"] == 0 and by_id["a"]["exit"] == 0 and by_id["c"]["exit"] == 0


def test_duplicate_ids_are_refused_before_anything_runs(single: Project, tmp_path: Path) -> None:
    lines = [json.dumps({"id": "x", "input": "one"}), json.dumps({"id": "x", "input": "two"})]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    done = run(
        single, ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--mock"], env_mock()
    )
    assert done.returncode == 2
    assert (
        done.stderr.count("\n") == 1 and "'x'" in done.stderr and "line 1 and line 2" in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert not (single.path / ".wfadvise").exists()


def test_an_unreachable_database_is_one_line_and_exit_2(single: Project, tmp_path: Path) -> None:
    write_inputs(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    url = "postgresql://nobody@127.0.0.1:9/nowhere"  # port 9 (discard): nothing listens
    done = run(
        single,
        ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--mock", "--db", url],
        env_mock(),
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot reach the database" in done.stderr
    assert "127.0.0.1:9" in done.stderr and "Traceback" not in done.stderr
    worker = run(single, ["worker", "--db", url], env_mock())
    assert worker.returncode == 2 and "cannot reach the database" in worker.stderr


def test_a_url_of_another_scheme_is_one_line_and_exit_2(single: Project, tmp_path: Path) -> None:
    # Before: SQLAlchemy's NoSuchModuleError traceback ("Can't load plugin ... nonsense").
    write_inputs(tmp_path / "in.jsonl", 1)
    args = ["--out", str(tmp_path / "out.jsonl"), "--mock", "--db", "mysql://u@h/db"]
    done = run(single, ["batch", str(tmp_path / "in.jsonl"), *args], env_mock())
    worker = run(single, ["worker", "--db", "nonsense://x"], env_mock())
    for proc in (done, worker):
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert "not a database URL" in proc.stderr and "postgresql://" in proc.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_dbos_system_database_url_names_the_shared_database(
    single: Project, tmp_path: Path
) -> None:
    write_inputs(tmp_path / "in.jsonl", 1)
    env = env_mock() | {"DBOS_SYSTEM_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nowhere"}
    args = ["batch", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.jsonl"), "--mock"]
    assert "127.0.0.1:9" in run(single, args, env).stderr
    assert "127.0.0.1:9" in run(single, ["worker"], env).stderr


def test_worker_without_a_database_says_how_to_give_one(single: Project) -> None:
    done = run(single, ["worker"], env_mock())
    assert done.returncode == 2 and "--db postgresql://" in done.stderr


@pytest.mark.parametrize("flag", [["--concurrency", "0"], ["--max-usd", "nan"], ["--rpm", "-1"]])
def test_bad_numbers_exit_2(single: Project, tmp_path: Path, flag: list[str]) -> None:
    write_inputs(tmp_path / "in.jsonl", 1)
    args = [
        "batch",
        str(tmp_path / "in.jsonl"),
        "--out",
        str(tmp_path / "o.jsonl"),
        "--mock",
        *flag,
    ]
    done = run(single, args, env_mock())
    assert done.returncode == 2 and flag[0] in done.stderr and "Traceback" not in done.stderr


def test_no_key_and_no_mock_names_both_ways_out(single: Project, tmp_path: Path) -> None:
    write_inputs(tmp_path / "in.jsonl", 1)
    done = run(
        single,
        ["batch", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.jsonl")],
        env_mock(),
    )
    assert done.returncode == 2 and "--mock" in done.stderr and "OPENAI_API_KEY" in done.stderr


def test_429_with_retry_after_is_waited_out(
    single: Project, tmp_path: Path, stub: StubServer
) -> None:
    write_inputs(tmp_path / "in.jsonl", 2)
    stub.error(429, headers={"Retry-After": "0"})
    for _ in range(2):
        stub.reply("fine", prompt_tokens=20, completion_tokens=5)
    out = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--model", "openai/gpt-4o-mini"]
    done = run(single, [*args, "--concurrency", "1"], env_stub(stub.base_url))
    assert done.returncode == 0, done.stderr
    assert [r["output"] for r in rows(out)] == ["fine", "fine"]
    assert len(stub.requests) == 3  # the refused attempt, then one call per request


def test_mock_batches_pass_model_checks_as_run_mock_does(tmp_path: Path) -> None:
    """`run --mock` scripts a project's model checks to pass so the whole flow shows; `batch
    --mock` must too, for every request (its requests share one process, not one script)."""
    from advisor.answers import load_answers
    from advisor.commands.new import spec_from, write_project
    from advisor.diagnose import diagnose
    from advisor.template_store import publish

    example = Path(__file__).parent.parent / "examples" / "draft-check-translate.yaml"
    answers = load_answers(example).model_copy(update={"volume_per_day": HIGH_VOLUME})
    spec = spec_from(diagnose(answers))
    made = write_project(spec, tmp_path / "blog", published=publish(store=tmp_path / "store"))
    project = Project(made.path, made.package)
    count = 110  # more requests than one simulated model's script holds passes for a step
    write_inputs(tmp_path / "in.jsonl", count)
    out = tmp_path / "out.jsonl"
    done = run(
        project, ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--mock"], env_mock()
    )
    assert done.returncode == 0, done.stderr
    got = rows(out)
    assert len(got) == count
    assert all(r["exit"] == 0 and r["calls"] == 3 for r in got), [r for r in got if r["exit"]][:3]


def test_an_out_file_that_holds_no_results_is_left_alone(single: Project, tmp_path: Path) -> None:
    # Before: `--out README.md` appended the rows to the README, and a file whose last line
    # had no newline lost that line (cut off as if a crash had torn a row).
    write_inputs(tmp_path / "in.jsonl", 2)
    for name, text in [("README.md", "# My project\n\nNotes.\n"), ("notes.txt", "keep me")]:
        out = tmp_path / name
        out.write_text(text)
        done = run(
            single, ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--mock"], env_mock()
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "left alone" in done.stderr and "Traceback" not in done.stderr
        assert out.read_text() == text
    folder = run(
        single, ["batch", str(tmp_path / "in.jsonl"), "--out", str(tmp_path), "--mock"], env_mock()
    )
    assert folder.returncode == 2 and "is not a file" in folder.stderr


def test_a_row_torn_by_a_crash_is_cut_off_and_its_request_runs_again(tmp_path: Path) -> None:
    from runtime.volume.inputs import written_rows

    out = tmp_path / "out.jsonl"
    whole = json.dumps({"id": "a", "output": "x", "exit": 0}) + "\n"
    out.write_text(whole + '{"id": "b", "outp')
    assert written_rows(out) == {"a": 0}
    assert out.read_text() == whole
