"""`batch` resumes only what the same input asked: an id given another input is refused, and a
bad line's row keeps the id the user gave it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from batch_fixtures import HIGH_VOLUME, Project, env_mock, rows, run
from helpers_render import PATTERN_ANSWERS, spec_for

from advisor.commands.new import write_project
from advisor.template_store import Published
from runtime.volume.batch import refuse_changed_inputs
from runtime.volume.errors import VolumeUsageError
from runtime.volume.inputs import Request
from runtime.volume.store import Store, check_reachable, sqlite_url

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, batch_store: Published) -> Project:
    """One single-call project for the module: every test has its own --out, so its own batch."""
    answers = {**PATTERN_ANSWERS["single-call"], "volume_per_day": HIGH_VOLUME}
    root = tmp_path_factory.mktemp("resume-input") / "single"
    made = write_project(spec_for(answers), root, published=batch_store)
    return Project(made.path, made.package)


def _write(path: Path, lines: list[Any]) -> None:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")


def _batch(folder: Path, *extra: str) -> list[str]:
    return ["batch", str(folder / "in.jsonl"), "--out", str(folder / "out.jsonl"), "--mock", *extra]


def test_an_id_given_another_input_is_refused_before_anything_runs(
    project: Project, tmp_path: Path
) -> None:
    # Before: the second run said "1/1 done" and OUT.jsonl kept the answer to the first input.
    args = _batch(tmp_path)
    asked = [
        {"id": "q1", "input": "The app crashes on export"},
        {"id": "q2", "input": "How do I reset my password?"},
    ]
    _write(tmp_path / "in.jsonl", asked)
    first = run(project, args, env_mock())
    assert first.returncode == 0, first.stderr
    answered = (tmp_path / "out.jsonl").read_bytes()

    changed = [{"id": "q1", "input": "The app crashes on import"}, asked[1]]
    _write(tmp_path / "in.jsonl", [*changed, {"id": "q3", "input": "new"}, {"id": "bad"}])
    refused = run(project, args, env_mock())
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "'q1' was already run with a different input" in refused.stderr
    assert "give it a new id, or use a new --out file" in refused.stderr
    assert "q2" not in refused.stderr
    assert (tmp_path / "out.jsonl").read_bytes() == answered  # nothing ran, nothing written

    _write(tmp_path / "in.jsonl", asked)  # the same input again resumes as before
    again = run(project, args, env_mock())
    assert again.returncode == 0 and "2/2 done" in again.stderr, again.stderr
    assert (tmp_path / "out.jsonl").read_bytes() == answered

    renamed = [{"id": "q1-import", "input": "The app crashes on import"}]
    _write(tmp_path / "in.jsonl", [*asked, *renamed])  # the way out: a new id
    added = run(project, args, env_mock())
    assert added.returncode == 0, added.stderr
    assert [r["id"] for r in rows(tmp_path / "out.jsonl")][2:] == ["q1-import"]

    _write(tmp_path / "in.jsonl", changed)  # the other way out: a new --out, a new batch
    fresh = run(project, [*args[:2], "--out", str(tmp_path / "new.jsonl"), "--mock"], env_mock())
    assert fresh.returncode == 0 and "2/2 done" in fresh.stderr, fresh.stderr


def test_the_store_remembers_what_an_id_was_given_when_out_is_gone(
    project: Project, tmp_path: Path
) -> None:
    # Deleting OUT.jsonl does not start over (the rows come back from the store), so a changed
    # input must still be refused: the answer that would come back is to the old one.
    args = _batch(tmp_path)
    _write(tmp_path / "in.jsonl", ["first question", "second question"])  # ids 1 and 2
    assert run(project, args, env_mock()).returncode == 0
    (tmp_path / "out.jsonl").unlink()
    _write(tmp_path / "in.jsonl", ["a question put above", "first question", "second question"])
    refused = run(project, args, env_mock())
    assert refused.returncode == 2, refused.stderr
    assert "ids '1', '2' were already run with different inputs" in refused.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_a_store_made_before_input_digests_still_resumes(project: Project, tmp_path: Path) -> None:
    # A store written before digests were kept has none: unknown, so nothing is refused.
    args = _batch(tmp_path)
    _write(tmp_path / "in.jsonl", [{"id": "q1", "input": "The app crashes on export"}])
    assert run(project, args, env_mock()).returncode == 0
    written = (tmp_path / "out.jsonl").read_bytes()
    engine = sa.create_engine(f"sqlite:///{project.path / '.wfadvise' / 'batch.sqlite'}")
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE wfadvise_inputs"))
    engine.dispose()
    _write(tmp_path / "in.jsonl", [{"id": "q1", "input": "The app crashes on import"}])
    again = run(project, args, env_mock())
    assert again.returncode == 0 and "1/1 done" in again.stderr, again.stderr
    assert (tmp_path / "out.jsonl").read_bytes() == written


def test_a_bad_line_with_an_id_keeps_that_id_in_its_row(project: Project, tmp_path: Path) -> None:
    # Before: the rows of "e" and "f" had the ids "1" and "2" (their line numbers).
    args = _batch(tmp_path)
    lines: list[Any] = [
        {"id": "e", "input": ""},
        {"id": "f", "input": 5},
        {"input": "no id given"},
        {"id": "g", "input": "fine"},
    ]
    _write(tmp_path / "in.jsonl", lines)
    done = run(project, args, env_mock())
    assert done.returncode == 1, done.stderr
    by_id = {r["id"]: r for r in rows(tmp_path / "out.jsonl")}
    assert set(by_id) == {"e", "f", "3", "g"}
    assert by_id["e"]["error"] == 'line 1: "input" must be a non-empty string'
    assert by_id["f"]["error"] == 'line 2: "input" must be a non-empty string'
    assert by_id["3"]["exit"] == 2 and by_id["3"]["error"].startswith("line 3: ")
    assert by_id["g"]["exit"] == 0
    written = (tmp_path / "out.jsonl").read_bytes()

    again = run(project, args, env_mock())  # the same file again: every row is already there
    assert again.returncode == 1 and "4/4 done" in again.stderr, again.stderr
    assert (tmp_path / "out.jsonl").read_bytes() == written

    lines[0] = {"id": "e", "input": "now a real question"}  # "e" has a row for the bad input
    _write(tmp_path / "in.jsonl", lines)
    refused = run(project, args, env_mock())
    assert refused.returncode == 2 and "'e' was already run" in refused.stderr, refused.stderr
    assert (tmp_path / "out.jsonl").read_bytes() == written


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_each_id_keeps_the_digest_it_was_first_queued_with(
    tmp_path: Path, request: pytest.FixtureRequest, dialect: str
) -> None:
    url = (
        request.getfixturevalue("postgres").url()
        if dialect == "postgresql"
        else sqlite_url(tmp_path / "store.sqlite")
    )
    check_reachable(url)
    store = Store(url)
    try:
        store.create_tables()
        store.save_inputs("b", {"q1": "d1", "q2": "d2"})
        with store.begin() as conn:  # as enqueue does, beside the workflows it queues
            store.save_inputs("b", {"q1": "changed", "q3": "d3"}, conn)
        store.save_inputs("other", {"q1": "elsewhere"})
        assert store.input_digests("b") == {"q1": "d1", "q2": "d2", "q3": "d3"}
        assert store.input_digests("never-run") == {}
    finally:
        store.close()


def test_many_changed_ids_are_one_line_naming_the_first_three() -> None:
    asked = [Request(rid, f"asked {rid}", n) for n, rid in enumerate("abcdef", start=1)]
    recorded = {r.id: Request(r.id, "something else", r.line).digest for r in asked[:5]}
    with pytest.raises(VolumeUsageError) as refused:
        refuse_changed_inputs(recorded, list(asked), Path("in.jsonl"))
    assert str(refused.value) == (
        "in.jsonl: ids 'a', 'b', 'c' and 2 more were already run with different inputs in this "
        "store; give them new ids, or use a new --out file to start over"
    )
    refuse_changed_inputs({r.id: r.digest for r in asked[:3]}, list(asked), Path("in.jsonl"))
