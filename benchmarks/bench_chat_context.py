"""What a chat turn carries and costs: rolling summary + last turns vs the whole history.

Run: python benchmarks/bench_chat_context.py [--turns 40] [--summarize-after 10] [--keep 4]

A session of TURNS turns on the simulated model (the reply step a single call, replies of the
simulated model's typical length), once as `chat` runs it (runtime/conversation: the summary,
the state and the turns since the last fold, at least `keep` of them, verbatim; a state update
each turn; a summary call every `summarize-after` turns) and once re-sending the whole history
every turn (what a chat without memory management does). Prints the reply call's prompt tokens
at a few turns, the session's total tokens, calls and dollars for both and their ratio, the
estimate's expected tokens per turn against the measured mean, and the store's time per turn
(SQLite: load + record) against the simulated turn itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime import Run, SimulatedModel
from runtime.combinators import execute, llm
from runtime.conversation.memory import exchanges
from runtime.conversation.state import Session, Turn
from runtime.conversation.store import SessionStore
from runtime.conversation.turns import Prompts, take_turn
from runtime.estimate import estimate_settings
from runtime.model_calls.completion import CallRequest, RawCompletion
from runtime.model_calls.tokens import count_messages, count_text
from runtime.plan import Node
from runtime.settings import ConversationSettings, Settings
from runtime.volume.store import sqlite_url

MODEL = "openai/gpt-4o-mini"
QUESTION = "Here is my next question about fractions, with some detail about what I tried. " * 4
REPLY_TOKENS = 500
"""Simulated replies (and summaries) of the catalog's typical generate output (what estimate
assumes)."""


class Measuring(SimulatedModel):
    """The simulated model, noting the prompt tokens of every reply call."""

    reply_prompts: list[int]

    def __post_init__(self) -> None:
        super().__post_init__()
        self.reply_prompts = []

    async def complete(self, req: CallRequest) -> RawCompletion:
        if req.step.rsplit(">", 1)[-1] == "reply":
            self.reply_prompts.append(count_messages(req.messages, req.tools))
        return await super().complete(req)


def settings(conv: ConversationSettings) -> Settings:
    plan = Node(pattern="single-call", name="reply", steps=["reply"], params={"role": "generate"})
    return Settings(name="bench", pattern="single-call", plan=plan, conversation=conv)


async def managed(
    turns: int, conv: ConversationSettings, store: SessionStore
) -> tuple[Measuring, Run, float]:
    model = Measuring(text_tokens=REPLY_TOKENS)
    run = Run(models=MODEL, simulated=model)
    store_s = 0.0
    for i in range(turns):
        t0 = time.perf_counter()
        session = store.open("bench")
        store_s += time.perf_counter() - t0
        await take_turn(
            session,
            f"{i}: {QUESTION}",
            flow=llm("reply"),
            run=run,
            settings=settings(conv),
            conversation=conv,
            prompts=Prompts(),
            show=str,
        )
        t0 = time.perf_counter()
        store.record_turn(session, session.turns[-1], 0.0, 0)
        store_s += time.perf_counter() - t0
    return model, run, store_s / turns


async def whole_history(turns: int) -> tuple[Measuring, Run]:
    model = Measuring(text_tokens=REPLY_TOKENS)
    run = Run(models=MODEL, simulated=model)
    session = Session(session_id="bench")
    for i in range(turns):
        message = f"{i}: {QUESTION}"
        text = f"{exchanges(session.turns)}\n\n{message}" if session.turns else message
        out = await execute(llm("reply"), run, text)
        session.turns.append(Turn(user=message, reply=str(out.output)))
    return model, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--summarize-after", type=int, default=10)
    parser.add_argument("--keep", type=int, default=4)
    args = parser.parse_args()
    conv = ConversationSettings(summarize_after=args.summarize_after, keep_turns=args.keep)
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(sqlite_url(Path(tmp) / "chat.sqlite"), "bench")
        t0 = time.perf_counter()
        kept, kept_run, store_s = asyncio.run(managed(args.turns, conv, store))
        managed_s = (time.perf_counter() - t0) / args.turns
        store.close()
    full, full_run = asyncio.run(whole_history(args.turns))
    print(f"{args.turns} turns, summarize_after={args.summarize_after}, keep_turns={args.keep}")
    print(f"{'turn':>6}{'managed prompt':>16}{'whole history':>15}{'ratio':>8}")
    for t in sorted(
        {1, args.summarize_after, args.summarize_after + 1, args.turns // 2, args.turns}
    ):
        a, b = kept.reply_prompts[t - 1], full.reply_prompts[t - 1]
        print(f"{t:>6}{a:>16,}{b:>15,}{b / a:>7.1f}x")
    k, f = kept_run.summary(), full_run.summary()
    k_tokens = k.prompt_tokens + k.completion_tokens
    f_tokens = f.prompt_tokens + f.completion_tokens
    print(f"session totals: managed {k_tokens:,} tokens, {k.calls} calls, ${k.cost_usd:.4f}")
    print(f"           whole history {f_tokens:,} tokens, {f.calls} calls, ${f.cost_usd:.4f}")
    print(f"           ratio whole / managed: {f_tokens / k_tokens:.1f}x tokens")
    size = count_text(f"0: {QUESTION}")
    est = estimate_settings(
        settings(conv), {"reply": "{input}"}, input_tokens=size, with_alternatives=False
    )
    print(
        f"estimate: {est.total.tokens_exp:,.0f} tokens per turn expected (a long session); "
        f"measured mean {k_tokens / args.turns:,.0f} over these {args.turns} turns"
    )
    print(
        f"store (SQLite open + record) per turn: {store_s * 1e3:.2f} ms; the whole simulated "
        f"turn {managed_s * 1e3:.2f} ms ({store_s / managed_s:.0%} of it; a real model call "
        "takes 300-3000 ms)"
    )


if __name__ == "__main__":
    main()
