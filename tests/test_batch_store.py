"""The batch's durable parts in process: the call journal, the shared ledger, the rate window."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from runtime import BudgetExceeded, SimulatedModel
from runtime.model_calls.budget import Limits
from runtime.model_calls.completion import CallRequest, RawCompletion
from runtime.volume.durable import _CURRENT, DurableRun, Journal, SharedBudget, Sharing, _Call
from runtime.volume.limits import Ledger, RateLimiter, Spent, Window, redate_dead_entries
from runtime.volume.lineage import enter_request
from runtime.volume.store import ENTRIES, Store, check_reachable, sqlite_url

MODEL = "openai/gpt-4o-mini"


class CountingModel(SimulatedModel):
    """The simulated model, counting what is actually sent to it."""

    sent: int = 0

    async def complete(self, req: CallRequest) -> RawCompletion:
        self.sent += 1
        return await super().complete(req)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    url = sqlite_url(tmp_path / "store.sqlite")
    check_reachable(url)
    made = Store(url)
    made.create_tables()
    made.save_batch("b", {}, 1.0)
    return made


def _run(store: Store, workflow: str, model: SimulatedModel) -> DurableRun:
    run = DurableRun(models=MODEL, simulated=model)
    sharing = Sharing(ledger=Ledger(store, "b", "me"), limiter=None)
    return run.make_durable(Journal(store, workflow), sharing)


async def _flow(run: DurableRun) -> list[str]:
    """Three parallel branches of two calls each (two of them alike), then one call on all."""
    enter_request()  # as the engine does at the start of every request

    async def branch(name: str) -> str:
        first = await run.call(name, [{"role": "user", "content": f"{name} part one"}])
        second = await run.call(name, [{"role": "user", "content": f"{name}: {first.output}"}])
        return str(second.output)

    parts = await asyncio.gather(branch("left"), branch("right"), branch("left"))
    final = await run.call("join", [{"role": "user", "content": " | ".join(parts)}])
    return [*parts, str(final.output)]


@pytest.mark.parametrize("request_id", range(8))  # branches finish in a new order each time
def test_a_recovered_request_replays_every_finished_call_and_sends_none(
    store: Store, request_id: int
) -> None:
    first = CountingModel(text_tokens=20, seed=request_id)
    original = asyncio.run(_flow(_run(store, f"b/{request_id}", first)))
    assert first.sent == 7
    again = CountingModel(text_tokens=20, seed=99)  # would answer differently if asked
    replayed = asyncio.run(_flow(_run(store, f"b/{request_id}", again)))
    assert again.sent == 0
    assert replayed == original
    other = CountingModel(text_tokens=20)
    asyncio.run(_flow(_run(store, f"b/other{request_id}", other)))  # its own journal
    assert other.sent == 7


def test_replay_charges_the_batch_ledger_nothing(store: Store) -> None:
    asyncio.run(_flow(_run(store, "b/r1", CountingModel(text_tokens=20))))
    spent = Ledger(store, "b", "me").spent().spent_usd
    run = _run(store, "b/r1", CountingModel(text_tokens=20))
    asyncio.run(_flow(run))
    assert Ledger(store, "b", "me").spent().spent_usd == pytest.approx(spent)
    assert run.summary().cost_usd == pytest.approx(spent)  # the request still sees its cost


def test_identical_calls_take_separate_slots_and_a_failed_one_gives_its_slot_back() -> None:
    journal = Journal(store=None, workflow_id="w")  # type: ignore[arg-type]
    assert [journal.claim("k"), journal.claim("k"), journal.claim("other")] == [0, 1, 0]
    journal.release("k", 0)
    assert journal.claim("k") == 0
    assert journal.claim("k") == 2


def test_the_ledger_is_never_exceeded_by_racing_reservations(store: Store) -> None:
    ledger = Ledger(store, "b", "me")
    granted: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(15):
            try:
                hold = ledger.reserve(0.03)
            except BudgetExceeded:
                continue
            ledger.settle(hold, 0.03)
            with lock:
                granted.append(hold)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spent = ledger.spent()
    assert len(granted) == 33  # floor(1.0 / 0.03): every call that fits, and no more
    assert spent.spent_usd <= 1.0 and spent.held_usd == pytest.approx(0.0, abs=1e-9)


def test_a_refused_reservation_says_it_is_the_batch_budget(store: Store) -> None:
    with pytest.raises(BudgetExceeded, match=r"batch max_usd=1 \(would reach 1\.5\)"):
        Ledger(store, "b", "me").reserve(1.5)


def test_the_window_admits_the_limit_then_says_how_long_to_wait(store: Store) -> None:
    limiter = RateLimiter(store, [Window("b:rpm", 3, 60.0)])
    window = limiter.windows[0]
    taken = [limiter._try(window, 1) for _ in range(4)]
    assert [entry is not None for entry, _ in taken] == [True, True, True, False]
    assert 59.0 < taken[3][1] <= 60.0


def test_a_token_window_keeps_what_a_call_really_used(store: Store) -> None:
    limiter = RateLimiter(store, [Window("b:tpm", 100, 60.0)])
    window = limiter.windows[0]
    entry, _ = limiter._try(window, 100)  # the reservation: the call's worst case
    assert entry is not None
    assert limiter._try(window, 1)[0] is None  # full while the call is out
    limiter.settle({"b:tpm": entry}, {"b:tpm": 30})  # it used 30
    assert limiter._try(window, 70)[0] is not None
    assert limiter._try(window, 1)[0] is None


def test_a_dead_processs_calls_in_flight_hold_their_slots_from_its_burial(store: Store) -> None:
    """Entries of requests a killed process never settled were dated at admission; their calls
    may have reached the server any time before the kill, so burying the process dates them
    anew and a peer waits a whole window from then, not from the admission."""
    dead = RateLimiter(store, [Window("b:rpm", 2, 60.0)], executor_id="dead")
    window = dead.windows[0]
    assert all(dead._try(window, 1)[0] is not None for _ in range(2))
    with store.begin() as conn:  # admitted 50 s ago; the process then died with both in flight
        conn.execute(ENTRIES.update().values(at=ENTRIES.c.at - 50.0))
    peer = RateLimiter(store, [window], executor_id="peer")
    assert 9.0 < peer._try(window, 1)[1] <= 10.0  # as the entries stand: free in 10 s
    assert redate_dead_entries(store, "dead") == 2
    assert 59.0 < peer._try(window, 1)[1] <= 60.0
    assert redate_dead_entries(store, "dead") == 0  # once only


def test_a_settled_entry_belongs_to_no_process(store: Store) -> None:
    limiter = RateLimiter(store, [Window("b:rpm", 2, 60.0)], executor_id="me")
    entry, _ = limiter._try(limiter.windows[0], 1)
    assert entry is not None
    limiter.settle({"b:rpm": entry}, {})
    assert redate_dead_entries(store, "me") == 0


def test_a_reservation_given_back_unused_frees_its_batch_hold_too(store: Store) -> None:
    ledger = Ledger(store, "b", "me")
    budget = SharedBudget(Limits(), ledger)
    token = _CURRENT.set(_Call("key", 0, None))  # as inside a call about to be sent
    try:
        held = budget.reserve(tokens=10, usd=0.25)
    finally:
        _CURRENT.reset(token)
    assert ledger.spent().held_usd == 0.25
    budget.release(held)
    assert ledger.spent() == Spent(0.0, 0.0)  # nothing spent, nothing left held
