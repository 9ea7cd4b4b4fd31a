"""Typed pattern parameters: a missing one gets the catalog's default when settings load (so run
and estimate agree), an out-of-range one is a one-line settings error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.answers import parse_answers
from advisor.diagnose import diagnose
from runtime.errors import SettingsError
from runtime.estimate import estimate_settings
from runtime.settings import Settings


def settings_file(tmp_path: Path, drop: str | None = None, **set_: object) -> Path:
    rec = diagnose(
        parse_answers(
            {"name": "t", "steps": ["translate"], "refinement": True, "criteria": ["faithful"]}
        )
    )
    data = json.loads(rec.settings().dump())
    if drop:
        data["plan"]["params"].pop(drop)
    data["plan"]["params"].update(set_)
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_missing_cap_gets_the_default_and_estimate_runs(tmp_path: Path) -> None:
    full = Settings.load(settings_file(tmp_path))
    missing = Settings.load(settings_file(tmp_path, drop="max_rounds"))
    assert missing.plan.params["max_rounds"] == full.plan.params["max_rounds"] == 3
    a = estimate_settings(full, {}, with_alternatives=False)
    b = estimate_settings(missing, {}, with_alternatives=False)
    assert a.total.usd_worst == b.total.usd_worst


@pytest.mark.parametrize(("key", "value"), [("max_rounds", 0), ("expected_rounds", -1)])
def test_an_out_of_range_cap_is_one_line(tmp_path: Path, key: str, value: object) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.load(settings_file(tmp_path, **{key: value}))
    message = str(err.value)
    assert key in message and "refine" in message
    assert "\n" not in message
