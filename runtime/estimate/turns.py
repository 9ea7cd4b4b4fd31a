"""A conversation turn's cost: the turn's workflow on the message plus its context, the state
update, and the summary fold amortised over `summarize_after` turns.

The context a turn carries (`runtime/conversation/memory.py`), in the first step's input and,
headed, before the prompt of every later model step whose input is not the turn's (a chain's
reply after a first step, a merge): the rolling summary, the state, and between `keep_turns`
and `summarize_after - 1` earlier turns verbatim, each the assumed input plus a reply.
Expected: a long session's turn, the verbatim count averaged over one summary cycle (early
turns of a session carry less). Worst: `summarize_after - 1` (or `keep_turns`) turns of inputs
of the assumed size and replies at their cap, the summary and the state at their caps, and
both extra calls in the same turn. Counts match `advisor/calls.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..conversation.prompts import (
    CONVERSATION_KINDS,
    STATE_PROMPT,
    STATE_STEP,
    SUMMARY_PROMPT,
    SUMMARY_STEP,
)
from ..plan import Node
from ..settings import ConversationSettings
from .costmodel import MESSAGE_TOKENS, Context, Cost, Size, call, scale, then
from .costwalk import walk

__all__ = [
    "CONVERSATION_KINDS",
    "assumption",
    "conversation_prompts",
    "walk_turn",
]

DEFAULT_PROMPTS = {STATE_STEP: STATE_PROMPT, SUMMARY_STEP: SUMMARY_PROMPT}
"""Their prompt texts when the project has no prompts/STEP.md of its own (a chat reads the same
files; `project.project_prompts` reads them for the estimate)."""
HEADINGS = Size(30.0, 30.0)
"""`# Summary...`, `# What we know`, `# Recent turns`, `# The user's new message`."""
STEP_HEADING = Size(8.0, 8.0)
"""`# Your input for this step`, after the conversation a later step reads before its prompt."""
TURN_LABELS = 2 * MESSAGE_TOKENS
"""`User:` and `Assistant:` around each verbatim turn."""


def conversation_prompts(prompts: Mapping[str, str]) -> dict[str, str]:
    """The given prompt texts, with the conversation steps' defaults where none is given."""
    return {**DEFAULT_PROMPTS, **prompts}


def verbatim_turns(conv: ConversationSettings) -> tuple[float, int]:
    """Turns a reply sees verbatim: the mean over a summary cycle, and the most."""
    n, keep = conv.summarize_after, conv.keep_turns
    mean = sum(max(since, keep) for since in range(n)) / n
    return mean, max(n - 1, keep)


def walk_turn(ctx: Context, plan: Node, inp: Size, conv: ConversationSettings) -> Cost:
    """One turn of a long session: reply, state update, and 1/summarize_after of a fold."""
    bare = walk(ctx, plan, inp)  # the reply's size, as the turn's workflow hands it out
    exchange = inp + bare.out + Size(TURN_LABELS, TURN_LABELS)
    state = _output(ctx, STATE_STEP)
    summary = _output(ctx, SUMMARY_STEP)
    mean, most = verbatim_turns(conv)
    context = Size(
        mean * exchange.exp + state.exp + summary.exp + HEADINGS.exp,
        most * exchange.worst + state.worst + summary.worst + HEADINGS.worst,
    )
    # The first step (and any handed the turn's input) reads the conversation in its input;
    # every other model step of the turn reads it, headed, before its prompt.
    turn = inp + context
    shared = replace(turn, shared=True)
    reply = walk(replace(ctx, shared=turn + STEP_HEADING), plan, shared)
    update = call(ctx, STATE_STEP, state + exchange)
    n = conv.summarize_after
    fold = call(ctx, SUMMARY_STEP, summary + Size(n * exchange.exp, n * exchange.worst))
    return then(then(reply.cost, update.cost), scale(fold.cost, 1.0 / n, 1.0))


def _output(ctx: Context, step: str) -> Size:
    f = ctx.facts[step]
    return Size(min(f.output_tokens, f.max_tokens), float(f.max_tokens))


def assumption(conv: ConversationSettings) -> str:
    """The turn's assumptions in words."""
    mean, most = verbatim_turns(conv)
    return (
        f"per turn of a long conversation: the reply sees the summary, the state and "
        f"~{mean:.2g} earlier turns verbatim (at worst {most}), each an input of the assumed size "
        f"plus a reply; then one state update, and every {conv.summarize_after} turns one "
        f"summary call (1/{conv.summarize_after} of it per turn; at worst both in one turn)"
    )
