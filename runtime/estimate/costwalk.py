"""How each pattern moves tokens: what every model call's prompt carries, per pattern.

Mirrors how the combinators build prompts (`runtime/combinators/`): a step's prompt is its own
text with the input substituted; a chain feeds each output to the next step; a router's
handler and every parallel branch get the original input; a model merge gets every branch's
output; refine re-sends the draft and the critique each round; an agent re-sends the whole
conversation (its replies and the tool results) every turn. Counts match `advisor/calls.py`.
"""

from __future__ import annotations

import math

from ..catalog import DEFAULTS
from ..plan import Node
from .costmodel import (
    MESSAGE_TOKENS,
    Context,
    Cost,
    Flow,
    Size,
    alongside,
    call,
    ceil_int,
    either,
    loop_counts,
    repeat_growing,
    scale,
    split,
    then,
)
from .errors import MissingParam

SECTION_HEADER_TOKENS = 8
"""`## name` and blank lines around each branch's output in a merge prompt."""
JSON_TEXT_FACTOR = 2.0
"""A structured output is re-sent as indented JSON: at most this many times its reply tokens."""
DRAFT_HEADERS = Size(16.0, 16.0)
"""`# Task`, `# Draft`, `# Feedback` headings refine puts around its parts."""
CODE_FEEDBACK = Size(20.0, 200.0)
"""Tokens of the feedback a code check gives a revision (a failing test's message)."""
MIN_TOOL_CALL_TOKENS = 8
"""Fewest completion tokens one tool call can take (a name and empty arguments)."""
TOOL_CALL_OVERHEAD = 40
"""Tokens a tool call adds when re-sent (id, type, JSON quoting) plus its result message."""


def walk(ctx: Context, node: Node, inp: Size) -> Flow:
    """The output size and per-execution cost of `node` on an input of `inp` tokens."""
    kind = node.pattern
    if kind == "code":  # a plain-code check: no call, the artifact passes on unchanged
        return Flow(inp, Cost())
    if kind == "single-call":
        return _handoff(ctx, node.steps[0], call(ctx, node.steps[0], inp))
    if kind == "prompt-chaining":
        return _chain(ctx, node, inp)
    if kind == "routing":
        return _route(ctx, node, inp)
    if kind == "parallel-sectioning":
        return _sections(ctx, node, inp)
    if kind == "parallel-voting":
        return _vote(ctx, node, inp)
    if kind == "orchestrator-workers":
        return _orchestrate(ctx, node, inp)
    if kind == "evaluator-optimizer":
        return _refine(ctx, node, inp)
    return _agent(ctx, node, inp)


def _handoff(ctx: Context, step: str, flow: Flow) -> Flow:
    """A structured reply travels on as indented JSON, which may take more tokens than it did."""
    if not ctx.facts[step].structured:
        return flow
    return Flow(Size(flow.out.exp, flow.out.worst * JSON_TEXT_FACTOR), flow.cost)


def _chain(ctx: Context, node: Node, inp: Size) -> Flow:
    cost, size = Cost(), inp
    for child in node.children:
        flow = walk(ctx, child, size)
        # A check's verdict never replaces the artifact: the next step gets what it judged.
        passes = child.params.get("role") == "check" and child.params.get("on_fail") != "revise"
        cost, size = then(cost, flow.cost), size if passes else flow.out
    return Flow(size, cost)


def _route(ctx: Context, node: Node, inp: Size) -> Flow:
    if node.params.get("by") == "cascade":
        return cascade_parts(ctx, node, inp)[0]
    classify = call(ctx, node.steps[0], inp)
    handlers = [walk(ctx, child, inp) for child in node.children]
    weights = list(ctx.weights.get(node.name, [1.0 / len(handlers)] * len(handlers)))
    chosen = either([h.cost for h in handlers], weights)
    out = Size(
        sum(w * h.out.exp for w, h in zip(weights, handlers, strict=True)),
        max(h.out.worst for h in handlers),
    )
    return Flow(out, then(classify.cost, chosen))


def cascade_parts(ctx: Context, node: Node, inp: Size) -> tuple[Flow, Flow, Flow, Flow]:
    """A cascade, and its parts: the easy model's answer, the check (nothing for a code check)
    on the input and that answer, and the hard model's answer, paid for the escalated share."""
    r = escalation(node)
    easy = walk(ctx, node.children[0], inp)
    check = Flow(inp, Cost())
    if node.steps:
        judged = inp + easy.out + DRAFT_HEADERS
        check = _handoff(ctx, node.steps[0], call(ctx, node.steps[0], judged))
    hard = walk(ctx, node.children[1], inp)
    cost = then(then(easy.cost, check.cost), scale(hard.cost, r, 1.0))
    out = Size((1 - r) * easy.out.exp + r * hard.out.exp, max(easy.out.worst, hard.out.worst))
    return Flow(out, cost), easy, check, hard


def escalation(node: Node) -> float:
    """A cascade's expected share of answers that go on to the hard model, in [0, 1]."""
    given = node.params.get("expected_escalation")
    if not isinstance(given, (int, float)) or isinstance(given, bool):
        raise MissingParam(f"node {node.name!r} (cascade) has no expected_escalation")
    return min(1.0, max(0.0, float(given)))


def _sections(ctx: Context, node: Node, inp: Size) -> Flow:
    if node.params.get("each"):
        return _each(ctx, node, inp)
    branches = [walk(ctx, child, inp) for child in node.children]
    cost = alongside([b.cost for b in branches])
    joined = Size(0.0, 0.0)
    for branch, child in zip(branches, node.children, strict=True):
        header = SECTION_HEADER_TOKENS + len(child.name)
        joined = joined + branch.out + Size(header, header)
    if node.params.get("role") == "guard":  # guardrails veto; the guarded step's output goes on
        return Flow(branches[0].out, cost)
    if node.params.get("role") == "check":  # a stage of checks: the artifact goes on as it was
        return Flow(inp, cost)
    if not node.steps:
        return Flow(joined, cost)
    merge = _handoff(ctx, node.steps[0], call(ctx, node.steps[0], joined))
    return Flow(merge.out, then(cost, merge.cost))


def _each(ctx: Context, node: Node, inp: Size) -> Flow:
    """A map over items: the input split into items, the step once per item, all at once."""
    exp_n, worst_n = loop_counts(ctx, node, "expected_items", "max_items")
    # An item is a share of the input on average; at worst one item is the whole input.
    item = walk(ctx, node.children[0], Size(inp.exp / max(exp_n, 1.0), inp.worst))
    cost = scale(item.cost, exp_n, worst_n)
    busy = min(exp_n, 1.0)  # items run at once: the wait is one item's
    cost.latency_s = busy * item.cost.latency_s
    cost.critical_calls = busy * item.cost.critical_calls
    out = Size(exp_n * item.out.exp, worst_n * item.out.worst)
    return Flow(out, cost)


def _vote(ctx: Context, node: Node, inp: Size) -> Flow:
    n = _int_param(node, "n")
    task = walk(ctx, node.children[0], inp)
    cost = alongside([task.cost] * n)
    return Flow(task.out, cost)


def _orchestrate(ctx: Context, node: Node, inp: Size) -> Flow:
    """Plan, run the planned subtasks on typed workers at once, synthesize their results."""
    exp_n, worst_n = loop_counts(ctx, node, "expected_workers", "max_workers")
    plan_step, synth_step = node.steps[0], node.steps[1]
    plan = _handoff(ctx, plan_step, call(ctx, plan_step, inp))
    # A worker sees its subtask (at worst the whole plan) and the original input.
    task = Size(plan.out.exp / max(exp_n, 1.0), plan.out.worst) + inp
    workers = [walk(ctx, child, task) for child in node.children]
    k = len(workers)
    waves = _waves(node, exp_n)
    if node.params.get("dependencies"):  # and the results of the subtasks it depends on
        needed = task + _needed(workers, waves, worst_n)
        workers = [walk(ctx, child, needed) for child in node.children]
    # Expected: subtasks spread evenly over the types; worst: every subtask of the dearest type.
    pool = split(
        alongside([scale(w.cost, exp_n / k, 0.0) for w in workers]),
        either([scale(w.cost, 0.0, worst_n) for w in workers], [0.0] * k),
    )
    # Workers run at once (with dependencies: a wave at a time): the wait is one worker's a wave.
    busy = min(exp_n, 1.0) * waves
    pool.latency_s = busy * sum(w.cost.latency_s for w in workers) / k
    pool.critical_calls = busy * sum(w.cost.critical_calls for w in workers) / k
    results = Size(
        exp_n * (sum(w.out.exp for w in workers) / k + SECTION_HEADER_TOKENS),
        worst_n * (max(w.out.worst for w in workers) + SECTION_HEADER_TOKENS),
    )
    synth = _handoff(ctx, synth_step, call(ctx, synth_step, inp + results))
    return Flow(synth.out, then(then(plan.cost, pool), synth.cost))


def _waves(node: Node, exp_n: float) -> float:
    """Waves a request waits through: 1, or with dependencies `expected_waves` (<= workers)."""
    if not node.params.get("dependencies"):
        return 1.0
    given = node.params.get("expected_waves")
    number = isinstance(given, int | float) and not isinstance(given, bool)
    waves = float(given) if number else DEFAULTS.expected_waves  # type: ignore[arg-type]
    return max(1.0, min(waves, exp_n))


def _needed(workers: list[Flow], waves: float, worst_n: int) -> Size:
    """Dependencies' results in a worker's prompt: past the first wave about one result, at
    worst every other subtask's."""
    k = len(workers)
    one = Size(
        sum(w.out.exp for w in workers) / k + SECTION_HEADER_TOKENS,
        max(w.out.worst for w in workers) + SECTION_HEADER_TOKENS,
    )
    return Size((1.0 - 1.0 / waves) * one.exp, max(worst_n - 1, 0) * one.worst)


def _refine(ctx: Context, node: Node, inp: Size) -> Flow:
    """Generate; evaluate up to max_rounds times, revising between evaluations (not after the last).

    Evaluate sees the task and the draft; a revision sees the task, the draft and the feedback.
    """
    exp_r, worst_r = loop_counts(ctx, node, "expected_rounds", "max_rounds")
    generator = node.children[0]
    first = walk(ctx, generator, inp)
    draft, cost = first.out, first.cost
    for i in range(worst_r):
        if node.steps:
            evaluate = node.steps[0]
            review = _handoff(ctx, evaluate, call(ctx, evaluate, inp + draft + DRAFT_HEADERS))
        else:  # criteria checked by code: no call, a short feedback line
            review = Flow(CODE_FEEDBACK, Cost())
        cost = then(cost, scale(review.cost, _share(exp_r, i), 1.0))
        if i < worst_r - 1:  # a revision happens only when another evaluation will judge it
            revise = walk(ctx, generator, inp + draft + review.out + DRAFT_HEADERS)
            cost = then(cost, scale(revise.cost, _share(exp_r - 1, i), 1.0))
            draft = Size(draft.exp, max(draft.worst, revise.out.worst))
    return Flow(draft, cost)


def _share(expected: float, i: int) -> float:
    """How much of pass i an expected count of passes covers."""
    return min(1.0, max(0.0, expected - i))


def _agent(ctx: Context, node: Node, inp: Size) -> Flow:
    """Turn k re-sends the input plus every earlier reply (tool calls as JSON) and tool result."""
    exp_s, worst_s = loop_counts(ctx, node, "expected_steps", "max_steps")
    step = node.steps[0]
    f = ctx.facts[step]
    result = _tool_result_tokens(ctx, node)
    # A reply of max_tokens holds at most max_tokens / MIN_TOOL_CALL_TOKENS tool calls.
    calls_worst = math.ceil(f.max_tokens / MIN_TOOL_CALL_TOKENS)
    per_turn = Size(
        f.output_tokens + result.exp + 2 * MESSAGE_TOKENS,
        f.max_tokens * JSON_TEXT_FACTOR + calls_worst * (result.worst + TOOL_CALL_OVERHEAD),
    )

    def turn(k: int) -> Flow:
        history = Size(k * per_turn.exp, k * per_turn.worst if k else 0.0)  # 0 x inf is nan
        return call(ctx, step, inp + history)

    cost, flows = repeat_growing(turn, exp_s, worst_s)
    last = flows[min(ceil_int(exp_s), worst_s) - 1] if flows else call(ctx, step, inp)
    return Flow(Size(last.out.exp, f.max_tokens), cost)


def _tool_result_tokens(ctx: Context, node: Node) -> Size:
    """Tokens a tool result adds to the conversation, from `max_tool_result_tokens` if set."""
    cap = node.params.get("max_tool_result_tokens")
    if isinstance(cap, int) and not isinstance(cap, bool):
        return Size(min(cap, ctx.tool_result_tokens), float(cap))
    return Size(ctx.tool_result_tokens, float("inf"))


def _int_param(node: Node, key: str) -> int:
    value = node.params.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MissingParam(f"node {node.name!r} ({node.pattern}) has no integer {key}")
    return value
