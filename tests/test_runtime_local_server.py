"""What a local llama.cpp server with a small model (Gemma 3 270M) did to generated projects'
workflows, played by the loopback stub (benchmarks/real_server.py runs the real one)."""

from __future__ import annotations

from stub_server import STUB_MODEL, StubServer

from runtime import Run
from runtime.combinators import cascade, execute_sync, llm
from runtime.combinators.cascade import Confidence
from runtime.model_calls.budget import Limits


def stub_run(stub: StubServer, **kw: object) -> Run:
    return Run(models=STUB_MODEL, api_base=stub.base_url, api_key="test", **kw)  # type: ignore[arg-type]


def test_a_refused_response_format_does_not_use_up_the_call_cap(stub: StubServer) -> None:
    # A cascade's cap is twice its worst count (easy, check, hard: 6), room for the check's
    # three repairs. On llama.cpp the check's first request is refused for its json_schema
    # (HTTP 500, no model work): counted as a call, it took the strong model's place, and a
    # check that never validated ended in exit 3 with the cheap answer instead of escalating.
    stub.refuse_formats = {"json_schema"}
    stub.reply("a cheap answer")
    for _ in range(4):
        stub.reply("I am quite sure")  # the check never returns JSON
    stub.reply("the strong answer")
    flow = cascade(
        llm("easy", "{input}"),
        llm("hard", "{input}"),
        llm("confidence", "Rate: {input}", response_model=Confidence),
        threshold=0.7,
    )
    run = stub_run(stub, limits=Limits(max_calls=6))
    outcome = execute_sync(flow, run, "Where is my refund?")
    assert outcome.output == "the strong answer"
    assert outcome.stopped_by is None
    assert stub.pending == 0
