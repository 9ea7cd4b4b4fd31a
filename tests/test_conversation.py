"""Conversations in process: the session store (SQLite and PostgreSQL), what a turn sends
(summary, state, the last turns verbatim), the state update, the summary fold after
`summarize_after` turns, and the per-turn estimate."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from clirun import run_cli
from pg_server import LocalPostgres

from advisor.answers import parse_answers
from advisor.diagnose import diagnose
from runtime import Reply, Run, SimulatedModel
from runtime.combinators import chain, llm
from runtime.conversation.memory import STATE_STEP, SUMMARY_STEP, recent_turns, turn_input
from runtime.conversation.state import ConversationState, Session, Turn
from runtime.conversation.store import SessionStore
from runtime.conversation.turns import Prompts, take_turn
from runtime.estimate import contract_dict, estimate_settings
from runtime.model_calls.completion import CallRequest, RawCompletion
from runtime.settings import ConversationSettings, Settings
from runtime.volume.store import sqlite_url

MODEL = "openai/gpt-4o-mini"
EXAMPLE = Path(__file__).parent.parent / "examples" / "chat-tutor.yaml"
TUTOR = {
    "schema": 2,
    "name": "tutor",
    "steps": ["reply"],
    "conversation": True,
    "summarize_after": 3,
}


class Listening(SimulatedModel):
    """The simulated model, keeping the text of every request per step."""

    heard: dict[str, list[str]]

    def __post_init__(self) -> None:
        super().__post_init__()
        self.heard = {}

    async def complete(self, req: CallRequest) -> RawCompletion:
        text = "\n".join(str(m.get("content") or "") for m in req.messages)
        self.heard.setdefault(req.step.rsplit(">", 1)[-1], []).append(text)
        return await super().complete(req)


def _state(n: int) -> Reply:
    return Reply(output={"goal": "learn fractions", "facts": [f"fact {n}"], "phase": "analysis"})


def _chat(
    messages: list[str],
    conv: ConversationSettings,
    session: Session | None = None,
    flow: Any = None,
) -> tuple[Session, Listening, list[Any]]:
    """Take one turn per message on the simulated model; the state and summary scripted."""
    model = Listening(
        script={STATE_STEP: [_state(i) for i in range(len(messages))], SUMMARY_STEP: ["S1", "S2"]}
    )
    session = session or Session(session_id="t")
    settings = Settings(name="t", pattern="single-call", plan=_plan())
    results = []
    for text in messages:
        run = Run(models=MODEL, simulated=model)
        results.append(
            asyncio.run(
                take_turn(
                    session,
                    text,
                    flow=flow or llm("reply"),
                    run=run,
                    settings=settings,
                    conversation=conv,
                    prompts=Prompts(),
                    show=str,
                )
            )
        )
    return session, model, results


def _plan() -> Any:
    return diagnose(parse_answers(TUTOR)).composition


def test_a_new_sessions_first_turn_is_the_message_alone() -> None:
    assert turn_input(Session(session_id="t"), "hello", keep_turns=4) == "hello"


def test_each_turn_updates_the_state_and_the_next_reply_sees_it_and_the_last_turn() -> None:
    session, model, results = _chat(
        ["I am Ada.", "What is a half?"], ConversationSettings(summarize_after=10)
    )
    assert all(r.reply and not r.stopped_by for r in results)
    assert session.state == ConversationState(
        goal="learn fractions", facts=["fact 1"], phase="analysis"
    )
    second = model.heard["reply"][1]
    assert "User: I am Ada." in second and "fact 0" in second and "What is a half?" in second
    # the state update reads the old state and the latest exchange only
    assert "What is a half?" in model.heard[STATE_STEP][1]
    assert "I am Ada." not in model.heard[STATE_STEP][1]


def test_a_chats_later_step_sees_the_earlier_turns_and_the_new_message_once() -> None:
    # [correct_mistakes, tutor_reply]: the reply step's input is the corrections, yet it must
    # remember the conversation and read what the user just said; the first step's prompt is
    # the turn's input as before, with no second copy of the conversation.
    flow = chain(llm("correct_mistakes", "Correct:\n{input}"), llm("tutor_reply"))
    _, model, results = _chat(
        ["I am Ada.", "What is a half?"], ConversationSettings(summarize_after=10), flow=flow
    )
    assert all(r.reply and not r.stopped_by for r in results)
    reply = model.heard["tutor_reply"][1]
    assert "User: I am Ada." in reply and "What is a half?" in reply and "fact 0" in reply
    first = model.heard["correct_mistakes"][1]
    assert first.count("User: I am Ada.") == 1 and first.count("What is a half?") == 1
    assert "I am Ada." in model.heard["tutor_reply"][0]  # a new session: the message alone
    assert "User:" not in model.heard["tutor_reply"][0]
    assert "What is a half?" not in model.heard[STATE_STEP][0]  # bookkeeping stays outside


def test_after_summarize_after_turns_the_summary_replaces_older_turns() -> None:
    conv = ConversationSettings(summarize_after=3, keep_turns=1)
    words = ["alpha", "bravo", "charlie", "delta", "echo"]
    session, model, results = _chat([f"turn {w}" for w in words], conv)
    assert [r.summarized for r in results] == [False, False, True, False, False]
    assert session.summary == "S1" and session.summarized_through == 3
    assert len(model.heard[SUMMARY_STEP]) == 1
    fourth, fifth = model.heard["reply"][3], model.heard["reply"][4]
    # turn 4 sees the summary and the last turn (keep_turns=1) verbatim, not turns 1 and 2
    assert "S1" in fourth and "turn charlie" in fourth
    assert "turn alpha" not in fourth and "turn bravo" not in fourth
    # turn 5 sees every turn since the summary (delta), and not charlie any more
    assert "turn delta" in fifth and "turn charlie" not in fifth
    assert [t.user for t in recent_turns(session, 1)] == ["turn delta", "turn echo"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "chat.sqlite")
    server: LocalPostgres = request.getfixturevalue("postgres")
    return server.url()


@pytest.fixture
def open_store(db_url: str) -> Iterator[Callable[[str], SessionStore]]:
    """`SessionStore(db_url, project)`, every one closed at teardown even when the test fails:
    a PostgreSQL connection left to the garbage collector raises its ResourceWarning (an
    error here) in whichever test the worker runs next."""
    opened: list[SessionStore] = []

    def open_(project: str) -> SessionStore:
        opened.append(SessionStore(db_url, project))
        return opened[-1]

    yield open_
    for store in opened:
        store.close()


def test_the_store_keeps_turns_state_and_spending_and_reset_keeps_the_spending(
    open_store: Callable[[str], SessionStore],
) -> None:
    store = open_store("proj")
    session = store.open("s1")
    assert session.turns == [] and session.spent_usd == 0
    session.turns.append(Turn(user="hi", reply="hello"))
    session.state = ConversationState(goal="g", facts=["f"])
    store.record_turn(session, session.turns[-1], 0.25, 2)
    store.record_turn(session, None, 0.5, 1)  # a turn a budget stopped before any reply
    store.close()
    again = open_store("proj")  # another connection, as another process has
    loaded = again.load("s1")
    assert loaded is not None
    assert loaded.turns == [Turn(user="hi", reply="hello")] and loaded.state.facts == ["f"]
    assert (loaded.spent_usd, loaded.calls) == (0.75, 3)
    other = open_store("other")
    assert other.load("s1") is None  # projects never mix
    other.close()
    # another process that opened the session before this turn adds its own: both are kept
    stale = again.load("s1")
    assert stale is not None
    elsewhere = open_store("proj")
    for store_, text in ((again, "from here"), (elsewhere, "from there")):
        session = stale.model_copy(deep=True)
        session.turns.append(Turn(user=text, reply="ok"))
        store_.record_turn(session, session.turns[-1], 0.0, 0)
    elsewhere.close()
    both = again.load("s1")
    assert both is not None
    assert [t.user for t in both.turns] == ["hi", "from here", "from there"]
    assert again.reset("s1") and not again.reset("nope")
    reset = again.load("s1")
    assert reset is not None and reset.turns == [] and reset.state == ConversationState()
    assert (reset.spent_usd, reset.calls) == (0.75, 3)
    again.close()


def _estimate(summarize_after: int, steps: list[str] | None = None) -> Any:
    answers = {**TUTOR, "summarize_after": summarize_after, "steps": steps or TUTOR["steps"]}
    return estimate_settings(
        diagnose(parse_answers(answers)).settings(), {}, with_alternatives=False
    )


def test_the_estimate_prices_a_turn_with_the_amortised_summary_and_the_context() -> None:
    est = _estimate(4)
    calls = {s.step: s.calls for s in est.steps}
    assert calls == {"reply": 1, STATE_STEP: 1, SUMMARY_STEP: 0.25}
    assert est.logical_calls == pytest.approx(2.25) and est.logical_worst == 3
    assert est.unit == "turn" and contract_dict(est)["unit"] == "turn"
    assert any("summary call (1/4 of it per turn" in a for a in est.assumptions)
    # folding less often lets the verbatim context grow longer: each reply costs more
    reply = {s.step: s.tokens for s in _estimate(12).steps}["reply"]
    assert reply > {s.step: s.tokens for s in est.steps}["reply"]


def test_the_estimate_prices_the_conversation_in_a_later_steps_prompt_too() -> None:
    # The reply after correct_mistakes reads the conversation before its prompt: it costs
    # about what the first step costs (was a sixth of it: priced on the corrections alone).
    two = {s.step: s.tokens for s in _estimate(12, ["correct_mistakes", "tutor_reply"]).steps}
    assert two["tutor_reply"] >= 0.9 * two["correct_mistakes"]
    # A one-step chat's reply reads it once, in its input: the same as the first step's.
    one = {s.step: s.tokens for s in _estimate(12, ["correct_mistakes"]).steps}
    assert one["correct_mistakes"] == pytest.approx(two["correct_mistakes"])


def test_recommend_counts_the_turn_and_says_what_a_conversation_adds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rec = diagnose(parse_answers(TUTOR))
    assert rec.calls_per_request.expected == pytest.approx(1 + 1 + 1 / 3)
    assert rec.calls_per_request.worst == 3
    assert not any("wired" in w for w in rec.warnings)
    assert any("conversation" in r and "every 3 turns" in r for r in rec.reasons)
    shown = " ".join(run_cli(["recommend", "--answers", str(EXAMPLE)], capsys).out.split())
    assert "calls per turn" in shown and "a turn;" in shown
    lone = diagnose(parse_answers({"name": "x", "steps": ["a"], "summarize_after": 5}))
    assert any("`summarize_after` acts only on a conversation" in w for w in lone.warnings)


def test_the_estimate_reads_the_projects_own_state_prompt(tmp_path: Path) -> None:
    from runtime.estimate import estimate_project

    settings = diagnose(parse_answers(TUTOR)).settings()

    def state_tokens() -> float:
        est = estimate_project(settings, tmp_path)
        return next(s.tokens for s in est.steps if s.step == STATE_STEP)

    default = state_tokens()
    (tmp_path / f"{STATE_STEP}.md").write_text("Keep the state. " * 400 + "{state} {exchange}")
    assert state_tokens() > default + 1000  # the longer prompt the chat will send is priced


def test_a_failed_state_update_or_fold_keeps_the_reply_and_the_old_memory() -> None:
    from runtime import Fail
    from runtime.caps import MAX_REPAIRS

    conv = ConversationSettings(summarize_after=1)
    model = SimulatedModel(
        script={
            STATE_STEP: ["not json"] * (MAX_REPAIRS + 1) + [_state(0)],
            SUMMARY_STEP: [Fail(400)],
        }
    )
    session = Session(session_id="t")
    settings = Settings(name="t", pattern="single-call", plan=_plan())
    results = []
    for text in ("one", "two"):
        results.append(
            asyncio.run(
                take_turn(
                    session,
                    text,
                    flow=llm("reply"),
                    run=Run(models=MODEL, simulated=model),
                    settings=settings,
                    conversation=conv,
                    prompts=Prompts(),
                    show=str,
                )
            )
        )
    first, second = results
    assert first.reply and first.problems[0].startswith("state not updated")
    assert second.reply and second.problems[0].startswith("summary not updated")
    assert [t.user for t in session.turns] == ["one", "two"]
    assert session.state.facts == ["fact 0"]  # the second turn's update worked
    assert session.summary == "" and session.summarized_through == 0  # tried again next turn


def test_the_reply_is_shown_before_the_state_update_and_the_fold() -> None:
    # Before: `chat` printed the reply only after the state update and the summary fold, so a
    # person waited for both, and a Ctrl-C during them kept a turn whose reply was never shown.
    model = Listening(script={STATE_STEP: [_state(0)], SUMMARY_STEP: ["S1"]})
    bookkeeping_before_reply: list[int] = []

    def on_reply(reply: str) -> None:
        heard = model.heard
        bookkeeping_before_reply.append(
            len(heard.get(STATE_STEP, [])) + len(heard.get(SUMMARY_STEP, []))
        )
        assert reply

    result = asyncio.run(
        take_turn(
            Session(session_id="t"),
            "hello",
            flow=llm("reply"),
            run=Run(models=MODEL, simulated=model),
            settings=Settings(name="t", pattern="single-call", plan=_plan()),
            conversation=ConversationSettings(summarize_after=1),
            prompts=Prompts(),
            show=str,
            on_reply=on_reply,
        )
    )
    assert bookkeeping_before_reply == [0]  # shown once, before either bookkeeping call
    assert result.summarized and len(model.heard[STATE_STEP]) == 1
