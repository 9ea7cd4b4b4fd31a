"""A batch row says what `run` says: a check that rejects the draft keeps the draft (paid for)
with the reason and exit 1, as `run` prints it, instead of an empty output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from batch_fixtures import Project, env_stub, rows, run
from helpers_render import make_project
from stub_server import StubServer

from advisor.answers import parse_answers
from advisor.commands.new import spec_from
from advisor.diagnose import diagnose

pytestmark = pytest.mark.slow

DRAFT = "Our new release ships on Monday, with faster exports."


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """examples/draft-check-translate.yaml (draft -> check -> translate), made with `batch`."""
    example = Path(__file__).parent.parent / "examples" / "draft-check-translate.yaml"
    answers = yaml.safe_load(example.read_text(encoding="utf-8")) | {"volume_per_day": 5000}
    spec = spec_from(diagnose(parse_answers(answers, source="test")))
    path, package = make_project(spec, tmp_path_factory.mktemp("rows"), "blog")
    return Project(path, package)


def test_a_rejected_draft_is_the_rows_output_with_the_reason(
    blog: Project, tmp_path: Path, stub: StubServer
) -> None:
    stub.reply(DRAFT)
    stub.reply(json.dumps({"approved": False, "feedback": "too informal for the style guide"}))
    requests = tmp_path / "in.jsonl"
    requests.write_text('{"id": "post-1", "input": "Announce the release"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["batch", str(requests), "--out", str(out), "--model", "openai/gpt-4o-mini"]
    done = run(blog, args, env_stub(stub.base_url))
    assert done.returncode == 1, done.stderr
    (row,) = rows(out)
    assert row["id"] == "post-1" and row["exit"] == 1
    assert row["output"] == DRAFT  # the check's verdict never replaces the draft it judged
    assert "check_style" in row["error"] and "too informal" in row["error"]
    assert len(stub.requests) == 2  # the translation never ran
