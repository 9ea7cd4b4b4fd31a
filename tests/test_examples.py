"""Every example answers file gives the recommendation its comment promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.answers import load_answers
from advisor.diagnose import diagnose
from runtime.plan import PATTERN_IDS

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (?P<pattern>[a-z-]+) uses: \[(?P<uses>[a-z, -]+)\]$", re.M)


def test_one_example_per_pattern_and_at_least_three_compositions() -> None:
    promised = [EXPECT.search(p.read_text()) for p in EXAMPLES]
    assert all(promised), "every example says what it should give"
    single = {m["pattern"] for m in promised if m and "," not in m["uses"]}
    assert single == set(PATTERN_IDS)
    assert sum(1 for m in promised if m and "," in m["uses"]) >= 3


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_gets_its_promised_result(path: Path) -> None:
    text = path.read_text()
    match = EXPECT.search(text)
    assert match, f"{path.name} has no '# expect:' line"
    rec = diagnose(load_answers(path))
    assert rec.pattern == match["pattern"]
    assert rec.uses == [u.strip() for u in match["uses"].split(",")]
    for warning in re.findall(r"^# warns: (.+)$", text, re.M):
        assert any(warning in w for w in rec.warnings), rec.warnings
    if "# warns:" not in text:
        assert rec.warnings == [], rec.warnings
