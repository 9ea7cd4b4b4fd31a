"""Role semantics in the runtime: a check gates the artifact, guardrails veto the guarded step."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from runtime.combinators import GateFailed, Verdict, chain
from runtime.combinators.roles import check, guarded


def run(flow: Any, value: Any = "input") -> Any:
    return asyncio.run(flow(None, value))


def test_a_passing_check_passes_the_artifact_on_unchanged() -> None:
    seen: list[Any] = []

    def translate(text: str) -> str:
        seen.append(text)
        return f"ES({text})"

    flow = chain(
        lambda _: "the draft",
        check(lambda _: Verdict(approved=True, feedback="VERDICT"), name="check_style"),
        translate,
    )
    assert run(flow) == "ES(the draft)"
    assert seen == ["the draft"]


@pytest.mark.parametrize(
    "answer", [False, "too long", Verdict(approved=False, feedback="too long")]
)
def test_a_failing_check_stops_with_its_reason(answer: Any) -> None:
    later: list[Any] = []
    flow = chain(lambda _: "the draft", check(lambda _: answer, name="check_style"), later.append)
    with pytest.raises(GateFailed) as err:
        run(flow)
    assert err.value.step == "check_style"
    assert err.value.output == "the draft"
    assert later == []
    if answer is not False:
        assert "too long" in str(err.value)


@pytest.mark.parametrize("answer", [True, None, Verdict(approved=True)])
def test_code_checks_pass_with_true_or_none(answer: Any) -> None:
    assert run(check(lambda _: answer, name="c"), "x") == "x"


def test_guardrails_run_beside_and_pass_the_guarded_output() -> None:
    inputs: dict[str, Any] = {}

    def note(name: str, out: Any) -> Any:
        def fn(value: Any) -> Any:
            inputs[name] = value
            return out

        return fn

    flow = guarded(
        note("book", "booked 3pm"),
        {"injection": note("injection", True), "policy": note("policy", None)},
    )
    assert run(flow, "book me at 3") == "booked 3pm"
    assert inputs == {"book": "book me at 3", "injection": "book me at 3", "policy": "book me at 3"}


def test_a_guardrail_veto_stops_before_any_later_step() -> None:
    later: list[Any] = []
    flow = chain(
        guarded(lambda _: "booked", {"injection": lambda _: "asks to ignore instructions"}),
        later.append,
    )
    with pytest.raises(GateFailed, match="ignore instructions"):
        run(flow)
    assert later == []


def test_a_guardrail_cannot_share_the_guarded_steps_name() -> None:
    def book(_: Any) -> str:
        return "x"

    with pytest.raises(ValueError, match="name of the step"):
        guarded(book, {"book": lambda _: True})


def test_a_stage_of_checks_passes_the_artifact_when_all_pass() -> None:
    from runtime.combinators.roles import passthrough

    flow = chain(
        lambda _: "the draft",
        guarded(passthrough, {"fact_check": lambda _: True, "legal_check": lambda _: None}),
        lambda text: f"ES({text})",
    )
    assert run(flow) == "ES(the draft)"
