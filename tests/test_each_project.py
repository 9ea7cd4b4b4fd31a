"""A map over items (`each`) from answers to a running project: the composition has no planning
call, the advice says it in the user's words, `max_items` is checked when settings load, and
the generated project runs the step once per paragraph (examples/map-over-sections.yaml)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_render import example_spec, make_project, offline_env

from advisor.answers import load_answers
from advisor.diagnose import diagnose
from runtime.params import with_defaults
from runtime.plan import Node

EXAMPLE = Path(__file__).parent.parent / "examples" / "map-over-sections.yaml"


def test_the_map_is_parallel_sectioning_with_no_planning_call_and_no_unwired_warning() -> None:
    rec = diagnose(load_answers(EXAMPLE))
    tree = rec.composition
    patterns = [n.pattern for n in tree.walk()]
    assert "orchestrator-workers" not in patterns
    (mapped,) = [n for n in tree.walk() if n.params.get("each")]
    assert mapped.steps == [] and [c.name for c in mapped.children] == ["summarize_section"]
    assert not any("wired" in w for w in rec.warnings)
    why = " ".join(rec.reasons)
    assert "summarize_section runs once per section" in why and "No planning call" in why
    # 4 expected sections and the digest; at worst 8 sections (max_items) and the digest.
    assert (rec.calls_per_request.expected, rec.calls_per_request.worst) == (5, 9)


def test_max_items_is_checked_and_filled_when_settings_load() -> None:
    node = Node(
        pattern="parallel-sectioning",
        name="each page",
        children=[Node(pattern="single-call", name="read", steps=["read"])],
        params={"each": "page"},
    )
    filled = with_defaults(node).params
    assert filled["max_items"] >= 1 and filled["expected_items"] > 0
    bad = node.model_copy(update={"params": {"each": "page", "max_items": 0}})
    with pytest.raises(ValueError, match="'each page': max_items"):
        with_defaults(bad)
    # a plain parallel stage gets no item parameters
    plain = node.model_copy(update={"params": {}})
    assert "max_items" not in with_defaults(plain).params


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return make_project(example_spec(EXAMPLE), tmp_path_factory.mktemp("each"), "digest")


def _run(project: tuple[Path, str], text: str, *extra: str, code: int = 0) -> dict[str, object]:
    path, package = project
    done = subprocess.run(
        [sys.executable, "-m", package, "run", "--mock", "--json", "-", *extra],
        cwd=path,
        env=offline_env(),
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, done.stderr
    doc: dict[str, object] = json.loads(done.stdout)
    return doc


def _calls(doc: dict[str, object], step: str) -> int:
    steps = doc["steps"]
    assert isinstance(steps, list)
    return int(next(s["calls"] for s in steps if s["name"] == step))


@pytest.mark.slow
def test_the_project_runs_the_step_once_per_paragraph_then_combines(
    project: tuple[Path, str],
) -> None:
    doc = _run(project, "Sales rose.\n\nCosts fell.\n\nHiring paused.\n")
    assert _calls(doc, "summarize_section") == 3 and _calls(doc, "write_digest") == 1
    assert str(doc["output"]).startswith("[write_digest]")


@pytest.mark.slow
def test_items_over_max_items_are_left_out_and_the_run_says_a_cap_stopped_it(
    project: tuple[Path, str],
) -> None:
    path, package = project
    settings = json.loads((path / package / "settings.json").read_text())
    cap = settings["plan"]["children"][0]["params"]["max_items"]
    doc = _run(project, "\n\n".join(f"Part {i}." for i in range(cap + 3)), code=3)
    assert _calls(doc, "summarize_section") == cap
    assert doc["stopped_by"] == f"max_items={cap} (would reach {cap + 3})"
    assert any(f"ran the first max_items={cap}" in str(n) for n in doc["notes"])  # type: ignore[attr-defined]
    # the cap that drops items is in the README's budgets and caps (it listed only the timeout)
    readme = (path / "README.md").read_text()
    assert f'| `max_items` of parallel-sectioning "each section" | {cap} |' in readme
