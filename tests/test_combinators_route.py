"""route: a checked label picks the handler; anything else goes to the declared fallback."""

from __future__ import annotations

import asyncio
import enum
import json
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from runtime.combinators import execute_sync, llm, route
from runtime.model_calls.models import ModelMap, Run
from runtime.model_calls.simulated import Reply, SimulatedModel


class Category(BaseModel):
    """The classifier's answer."""

    label: Literal["billing", "technical"]
    """Which handler should answer."""


def handlers(seen: list[str]) -> dict[str, Any]:
    def make(label: str) -> Any:
        def handle(text: str) -> str:
            seen.append(label)
            return f"{label}: {text}"

        handle.__name__ = label
        return handle

    return {"billing": make("billing"), "technical": make("technical"), "general": make("general")}


def test_an_unknown_label_goes_to_the_fallback_visibly() -> None:
    seen: list[str] = []
    flow = route(lambda _: "Sales", handlers(seen), fallback="general")
    outcome = execute_sync(flow, Run(simulated=SimulatedModel()), "buy more seats")
    assert outcome.output == "general: buy more seats"
    assert seen == ["general"]
    assert [n.kind for n in outcome.notes] == ["fallback"]
    assert "'Sales'" in outcome.notes[0].message
    assert outcome.notes[0].where == "route"


def test_a_model_classifier_picks_the_handler_for_its_label() -> None:
    seen: list[str] = []
    sim = SimulatedModel(script={"classify": [Reply(output={"label": "technical"})]})
    flow = route(llm("classify", response_model=Category), handlers(seen), fallback="general")
    out = asyncio.run(flow(Run(simulated=sim), "the app crashes"))
    assert out == "technical: the app crashes"


def test_a_classifier_that_never_validates_falls_back_instead_of_failing() -> None:
    seen: list[str] = []
    sim = SimulatedModel(script={"classify": ['{"label": "sales"}'] * 4})
    run = Run(simulated=sim)
    flow = route(llm("classify", response_model=Category), handlers(seen), fallback="general")
    outcome = execute_sync(flow, run, "hello")
    assert seen == ["general"]
    assert outcome.summary.calls == 4  # the first reply and three repairs
    assert "never validated" in outcome.notes[0].message


class Size(enum.Enum):
    SMALL = "billing"
    LARGE = "technical"


def test_enum_labels_are_read_by_value() -> None:
    seen: list[str] = []
    flow = route(lambda _: Size.LARGE, handlers(seen), fallback="general")
    asyncio.run(flow(None, "x"))
    assert seen == ["technical"]


def test_a_fallback_that_is_not_a_handler_is_refused_when_the_route_is_built() -> None:
    with pytest.raises(ValueError, match="fallback 'other' is not a handler"):
        route(lambda _: "a", {"a": str}, fallback="other")


class Difficulty(BaseModel):
    """How hard the question is."""

    label: Literal["easy", "hard"]
    """easy goes to the cheap model."""


def test_routing_by_difficulty_sends_hard_inputs_to_the_strong_model(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    models = ModelMap(default="openai/gpt-4o-mini", per_step={"answer_hard": "openai/gpt-4o"})
    sim = SimulatedModel(script={"difficulty": [Reply(output={"label": "hard"})]})
    run = Run(models=models, simulated=sim, trace=trace)
    flow = route(
        llm("difficulty", response_model=Difficulty),
        {"easy": llm("answer_easy"), "hard": llm("answer_hard")},
        fallback="hard",
    )
    asyncio.run(flow(run, "prove the theorem"))
    run.close()
    calls = [json.loads(x) for x in trace.read_text().splitlines()][:-1]
    assert [(c["step"], c["model"]) for c in calls] == [
        ("route>difficulty", "openai/gpt-4o-mini"),
        ("route>hard>answer_hard", "openai/gpt-4o"),
    ]
