"""Data flow by role (CONTRACTS §1, §4): a classify step inside a chain annotates the artifact
and never replaces it, a vote on it included; a check that fails inside a parallel stage vetoes
the run (exit 1, its reason, the artifact it judged kept) while a branch that merely errored is
merged around with a note that names no error class."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from helpers_render import example_spec, make_project, spec_for

from runtime.combinators import Sections, chain, execute_sync, llm, parallel, vote
from runtime.combinators.errors import GateFailed
from runtime.combinators.roles import Labelled, Verdict, check, guarded, labelled
from runtime.errors import WorkflowError
from runtime.model_calls.completion import CallRequest, RawCompletion
from runtime.model_calls.models import Run
from runtime.model_calls.simulated import Reply, SimulatedModel

EXAMPLES = Path(__file__).parent.parent / "examples"
EMAIL = "Hi, order 123 never arrived and I need it by Friday. Jo"
VOTE_CHAIN = {  # the trial's mix-vote-chain answers
    "schema": 2,
    "name": "mix-vote-chain",
    "task": "Read a customer email, classify its urgency by majority vote, then write a reply",
    "steps": ["extract_request", {"name": "classify_urgency", "role": "classify"}, "write_reply"],
    "needs_confidence": True,
    "errors_are_random": True,
    "vote": "classify_urgency",
}


class Recording(SimulatedModel):
    """The simulated model, keeping every request it was sent."""

    seen: list[CallRequest]

    def __post_init__(self) -> None:
        super().__post_init__()
        self.seen = []

    async def complete(self, req: CallRequest) -> RawCompletion:
        self.seen.append(req)
        return await super().complete(req)


def sent_to(model: Recording, step: str) -> list[str]:
    """The user messages each request for `step` carried."""
    return [
        str(m["content"])
        for req in model.seen
        if req.step.rsplit(">", 1)[-1] == step
        for m in req.messages
        if m.get("role") == "user"
    ]


def urgency_chain() -> Any:
    return chain(
        llm("extract_request", "Extract the request.\nInput:\n{input}"),
        labelled(
            vote(llm("classify_urgency", "Label urgency.\nInput:\n{input}"), n=5, threshold=0.6),
            name="classify_urgency",
        ),
        llm("write_reply", "Write a reply.\nInput:\n{input}"),
    )


# 1. A classify step inside a chain annotates.


def test_the_step_after_a_voted_classify_gets_the_extracted_request_and_the_label() -> None:
    model = Recording(
        script={
            "extract_request": ["Order 123 missing; needed by Friday."],
            # a small model wraps the same label in its own way: still one label
            "classify_urgency": ["urgent", "Urgent.", " **urgent** ", "low", "'URGENT'"],
            "write_reply": ["Dear Jo, ..."],
        }
    )
    outcome = execute_sync(urgency_chain(), Run(simulated=model), EMAIL)
    assert outcome.output == "Dear Jo, ..."
    (request,) = sent_to(model, "write_reply")
    extracted = "Order 123 missing; needed by Friday."
    assert request == f"Write a reply.\nInput:\n{extracted}\n\n## classify_urgency\nurgent"
    # every vote read the extracted request, not the label of another vote
    assert all("Order 123 missing" in text for text in sent_to(model, "classify_urgency"))


def test_votes_that_disagree_still_leave_the_request_to_the_next_step() -> None:
    model = Recording(
        script={
            "extract_request": ["Order 123 missing."],
            "classify_urgency": ["high", "medium", "urgent", "low", "soon"],
        }
    )
    outcome = execute_sync(urgency_chain(), Run(simulated=model), EMAIL)
    (request,) = sent_to(model, "write_reply")
    assert request.endswith("Order 123 missing.\n\n## classify_urgency\nUNCERTAIN")
    assert [n.kind for n in outcome.notes] == ["uncertain"]


def test_a_plain_classify_step_passes_the_artifact_on_with_its_label() -> None:
    seen: list[Any] = []
    flow = chain(
        labelled(llm("triage", "{input}")),
        lambda value: seen.append(value) or "done",
    )
    model = SimulatedModel(script={"triage": ["billing"]})
    assert execute_sync(flow, Run(simulated=model), EMAIL).output == "done"
    assert seen == [Labelled(EMAIL, "billing", "triage")]


# 2. A failed check inside a parallel stage vetoes; an errored branch is merged around.


def failing_policy() -> Any:
    return check(llm("policy_check", "{input}", response_model=Verdict))


def test_a_failed_check_in_a_partial_stage_stops_the_run_with_its_reason() -> None:
    ran: list[str] = []
    flow = chain(
        llm("retrieve", "{input}"),
        parallel(
            {"answer": llm("answer", "{input}"), "policy_check": failing_policy()},
            on_failure="partial",
        ),
        lambda value: ran.append("after") or value,
    )
    no = Reply(output={"approved": False, "feedback": "quotes a withdrawn clause"})
    model = SimulatedModel(script={"retrieve": ["Policy text, clause 4"], "policy_check": [no]})
    outcome = execute_sync(flow, Run(simulated=model), "q", keep_rejected=True)
    assert outcome.exit_code == 1 and not outcome.finished
    assert outcome.failed == "gate after step 'policy_check' failed: quotes a withdrawn clause"
    assert outcome.output == "Policy text, clause 4"  # the artifact the check judged
    assert ran == []  # nothing after the stage ran


def test_a_passed_check_beside_the_answer_adds_no_section() -> None:
    flow = parallel(
        {"answer": lambda v: f"answer to {v}", "policy_check": check(lambda _: True)},
        on_failure="partial",
    )
    outcome = execute_sync(flow, Run(simulated=SimulatedModel()), "Policy text, clause 4")
    assert outcome.exit_code == 0
    assert str(outcome.output) == "## answer\nanswer to Policy text, clause 4"


def test_a_passed_check_as_a_guardrail_lets_the_answer_through() -> None:
    flow = guarded(lambda v: f"answer to {v}", {"policy": check(lambda _: None)})
    assert asyncio.run(flow(Run(simulated=SimulatedModel()), "q")) == "answer to q"


def test_a_branch_that_errored_is_merged_around_with_a_plain_note() -> None:
    def index_down(_: Any) -> str:
        raise WorkflowError("the search index is down")

    flow = parallel({"a": lambda _: "A", "b": index_down}, on_failure="partial")
    outcome = execute_sync(flow, Run(simulated=SimulatedModel()), "x")
    assert outcome.exit_code == 0
    assert isinstance(outcome.output, Sections)
    assert outcome.output.missing == {"b": "the search index is down"}
    (note,) = outcome.notes
    assert "WorkflowError" not in note.message and "the search index is down" in note.message


def test_a_check_as_a_guardrail_vetoes_with_its_own_reason() -> None:
    flow = guarded(lambda v: f"answer to {v}", {"policy": check(lambda _: "off topic")})
    with pytest.raises(GateFailed, match="off topic"):
        asyncio.run(flow(Run(simulated=SimulatedModel()), "q"))


# The generated projects, end to end.

Main = Callable[[list[str]], int]


def _load(path: Path, package: str) -> ModuleType:
    sys.path.insert(0, str(path))
    return importlib.import_module(f"{package}.__main__")


@pytest.fixture(scope="module")
def vote_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    path, package = make_project(spec_for(VOTE_CHAIN), tmp_path_factory.mktemp("vc"), "vc")
    yield _load(path, package)
    sys.path.remove(str(path))


@pytest.fixture(scope="module")
def guarded_answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    spec = example_spec(EXAMPLES / "guarded-answers.yaml")
    path, package = make_project(spec, tmp_path_factory.mktemp("ga"), "ga")
    yield _load(path, package)
    sys.path.remove(str(path))


def recording(cli: ModuleType, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Make the project's `run --mock` keep the requests its simulated model gets."""
    seen: list[Any] = []
    base = cli.SimulatedModel

    async def complete(self: Any, req: Any) -> Any:
        seen.append(req)
        return await base.complete(self, req)

    monkeypatch.setattr(cli, "SimulatedModel", type("Recording", (base,), {"complete": complete}))
    return seen


def scripted(cli: ModuleType, monkeypatch: pytest.MonkeyPatch, script: dict[str, Any]) -> None:
    own = importlib.import_module(f"{cli.__package__}._runtime").Reply
    replies = {
        step: [own(**r) if isinstance(r, dict) else r for r in rs] for step, rs in script.items()
    }
    passing = cli.passing_checks
    monkeypatch.setattr(cli, "passing_checks", lambda s: {**passing(s), **replies})


def test_the_generated_vote_chain_sends_write_reply_the_request_and_the_label(
    vote_chain: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = recording(vote_chain, monkeypatch)
    scripted(
        vote_chain,
        monkeypatch,
        {"extract_request": ["Order 123 missing; by Friday."], "classify_urgency": ["urgent"] * 5},
    )
    assert vote_chain.main(["run", "--mock", EMAIL]) == 0
    capsys.readouterr()
    (reply,) = [r for r in seen if r.step.endswith("write_reply")]
    text = reply.messages[-1]["content"]
    assert text.endswith("Input:\nOrder 123 missing; by Friday.\n\n## classify_urgency\nurgent\n")
    votes = [r for r in seen if r.step.endswith("classify_urgency")]
    assert len(votes) == 5
    assert "one short label" in votes[0].messages[-1]["content"]


def test_a_failed_check_beside_the_answer_fails_the_generated_run(
    guarded_answers: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    no = {"output": {"approved": False, "feedback": "cites no clause"}}
    scripted(
        guarded_answers, monkeypatch, {"retrieve": ["Clause 4: water damage"], "policy_check": [no]}
    )
    code = guarded_answers.main(["run", "--mock", "--json", "Am I covered for a flood?"])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == ["error: gate after step 'policy_check' failed: cites no clause"]
    doc = json.loads(out)
    assert doc["finished"] is False
    assert doc["output"] == "Clause 4: water damage"  # what the check judged, kept
    assert "GateFailed" not in out + err


def test_the_advice_warns_that_a_vote_on_an_unlabelled_classify_step_cannot_agree() -> None:
    from advisor.answers import parse_answers
    from advisor.diagnose import diagnose

    warnings = diagnose(parse_answers(VOTE_CHAIN)).warnings
    assert any("classify step with no fixed set of labels" in w for w in warnings)


def test_a_merge_prompt_names_the_sections_it_gets_not_the_check_beside_them() -> None:
    from advisor.render import names_for

    answers = {
        "schema": 2,
        "name": "par-merge",
        "steps": [
            "retrieve",
            {"parallel": ["answer", {"name": "policy_check", "role": "check"}], "merge": "model"},
        ],
    }
    assert names_for(spec_for(answers).settings)["steps"]["merge"]["about"] == ["answer"]
