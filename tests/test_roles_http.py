"""Roles over a real HTTP round trip: the draft-check-translate example, rendered, against the
loopback stub. The translate request carries the draft, never the style check's verdict."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from stub_server import STUB_MODEL, StubServer

from advisor.answers import load_answers
from advisor.commands.new import spec_from, write_project
from advisor.diagnose import diagnose
from advisor.template_store import publish

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "draft-check-translate.yaml"
DRAFT = "Tea is the most popular drink after water; here is why."


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("roles")
    published = publish(store=root / "store")
    made = write_project(
        spec_from(diagnose(load_answers(EXAMPLE))), root / "p", published=published
    )
    sys.path.insert(0, str(root / "p"))
    try:
        yield importlib.import_module(made.package)
    finally:
        sys.path.remove(str(root / "p"))
        for name in [m for m in sys.modules if m.split(".")[0] == made.package]:
            del sys.modules[name]


def _run(project: ModuleType, stub: StubServer) -> object:
    runtime = importlib.import_module(f"{project.__name__}._runtime")
    settings = project.load_settings()
    run = runtime.Run(models=STUB_MODEL, api_base=stub.base_url, api_key="test")
    return asyncio.run(project.build(settings)(run, "Write about tea."))


def _user_text(stub: StubServer, i: int) -> str:
    return json.dumps(stub.requests[i].body["messages"])


def test_translate_gets_the_draft_not_the_verdict(project: ModuleType, stub: StubServer) -> None:
    stub.reply(DRAFT)
    stub.reply('{"approved": true, "feedback": "VERDICT-TEXT: on style"}')
    stub.reply("El té es la bebida más popular después del agua.")
    out = _run(project, stub)
    assert str(out).startswith("El té")
    assert len(stub.requests) == 3
    assert DRAFT in _user_text(stub, 1)  # the check judges the draft
    assert DRAFT in _user_text(stub, 2)  # ... and the translator gets the draft
    assert "VERDICT-TEXT" not in _user_text(stub, 2)


def test_a_failed_check_stops_before_translate(project: ModuleType, stub: StubServer) -> None:
    stub.reply(DRAFT)
    stub.reply('{"approved": false, "feedback": "uses passive voice throughout"}')
    combinators = importlib.import_module(f"{project.__name__}._runtime.combinators")
    with pytest.raises(combinators.GateFailed, match="passive voice"):
        _run(project, stub)
    assert len(stub.requests) == 2  # no translate request was sent
