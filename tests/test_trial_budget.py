"""What a new user's trial hit around budgets and files (the advisor's side):

- a per-request budget below what one call of the cascade's strong model reserves: recommend
  promised ~$0.0043 a request and every escalation was then refused (exit 3);
- a model with no price and a budget: `new` said nothing and its printed `run --mock` exited 2.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from clirun import run_cli
from helpers_render import make_project, offline_env, spec_for

pytestmark = pytest.mark.slow

CASCADE: dict[str, Any] = {
    "schema": 2,
    "name": "cascade desk",
    "task": "Answer FAQ questions cheaply, escalate hard ones",
    "steps": ["answer_question"],
    "difficulty": {"easy": "openai/gpt-4o-mini", "hard": "openai/gpt-4o", "by": "cascade"},
    "guardrails": ["topical", {"name": "injection", "by": "code"}],
    "volume_per_day": 20000,
    "budget_usd_per_request": 0.005,
}
UNPRICED: dict[str, Any] = {
    "name": "unpriced",
    "models": {"default": "openai/my-finetune"},
    "budget_usd_per_request": 0.01,
}


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WFADVISE_TEMPLATE_STORE", str(tmp_path / "store"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)


def _file(tmp_path: Path, answers: dict[str, Any], name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(answers), encoding="utf-8")
    return path


def _warnings(tmp_path: Path, answers: dict[str, Any], capsys: Any) -> list[str]:
    res = run_cli(["recommend", "--answers", str(_file(tmp_path, answers)), "--json"], capsys)
    assert res.code == 0, res.err
    found: list[str] = json.loads(res.out)["warnings"]
    return found


def _short(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "cannot cover one call" in w]


def test_a_budget_below_one_strong_call_names_the_steps_and_the_budget_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (warning,) = _short(_warnings(tmp_path, CASCADE, capsys))
    assert "hard_answer_question (openai/gpt-4o" in warning
    assert "strong tier" in warning and "escalation will be refused" in warning
    needed = float(re.search(r"at least \$([0-9.]+)", warning)[1])  # type: ignore[index]
    # the strong answer's max_tokens alone, at gpt-4o's $10 per million output tokens
    assert needed > 1200 * 10 / 1e6
    # the budget it names is enough: no warning for it
    assert _short(_warnings(tmp_path, {**CASCADE, "budget_usd_per_request": needed}, capsys)) == []


def test_a_budget_that_covers_every_call_gets_no_such_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _short(_warnings(tmp_path, {**CASCADE, "budget_usd_per_request": 0.05}, capsys)) == []


def _run(project: Path, package: str, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", package, "run", "--mock", "--json", text],
        cwd=project,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_warned_budget_is_what_the_runtime_refuses_and_the_named_one_lets_it_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The warning computes the runtime's own reservation: with the trial's budget an
    escalation is refused (exit 3); with the budget the warning names, it runs (exit 0)."""
    (warning,) = _short(_warnings(tmp_path, CASCADE, capsys))
    needed = float(re.search(r"at least \$([0-9.]+)", warning)[1])  # type: ignore[index]
    project, package = make_project(spec_for(CASCADE), tmp_path, "desk")
    escalated = None
    for n in range(20):  # the simulated model's confidence depends on the text
        text = f"question number {n} about a refund policy"
        proc = _run(project, package, text)
        if proc.returncode == 3 and "strong model was refused" in proc.stderr:
            escalated = text
            break
    assert escalated is not None, "no input escalated on the simulated model"
    settings = project / package / "settings.json"
    data = json.loads(settings.read_text(encoding="utf-8"))
    data["limits"]["max_usd"] = needed + 0.001  # the calls before it cost ~$0.0002
    settings.write_text(json.dumps(data), encoding="utf-8")
    proc = _run(project, package, escalated)
    assert proc.returncode == 0, proc.stderr
    assert "refused" not in proc.stderr


def test_new_with_an_unpriced_model_and_a_budget_says_to_add_the_price_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warnings = _warnings(tmp_path, UNPRICED, capsys)
    assert any("openai/my-finetune" in w and '"prices"' in w for w in warnings)
    target = tmp_path / "up"
    res = run_cli(["new", str(target), "--answers", str(_file(tmp_path, UNPRICED))], capsys)
    assert res.code == 0, res.err
    assert "No price is known for model 'openai/my-finetune'" in " ".join(res.out.split())
    nxt = res.out[res.out.index("Next:") :]
    # the price comes before the commands that need it
    assert nxt.index("up/unpriced/settings.json") < nxt.index("run --mock")
    assert '"prices": {"openai/my-finetune"' in nxt
    # and with it given as the output says, the printed run command works
    settings = target / "unpriced" / "settings.json"
    data = json.loads(settings.read_text(encoding="utf-8"))
    data["prices"] = {"openai/my-finetune": {"input_per_mtok": 0.3, "output_per_mtok": 1.2}}
    settings.write_text(json.dumps(data), encoding="utf-8")
    assert _run(target, "unpriced", "your input").returncode == 0


def test_new_without_a_budget_needs_no_price_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = {k: v for k, v in UNPRICED.items() if k != "budget_usd_per_request"}
    target = tmp_path / "up"
    res = run_cli(["new", str(target), "--answers", str(_file(tmp_path, answers))], capsys)
    assert res.code == 0, res.err
    assert '"prices"' not in res.out
