"""Model calls per request for a composition: expected, worst under the caps, critical path.

The formulas are the catalog's (`runtime/catalog.py`, `PatternInfo.calls`) applied to a Node
tree. These counts are *designed* calls: transport retries (429, 5xx, timeouts) and
structured-output repairs are not in them; the estimate engine adds those bounds on top, and
the run-wide `max_calls` cap leaves room for them.

Expected counts assume handlers of a router are chosen equally often and the loops take their
typical lengths (`expected_rounds`, `expected_workers`, `expected_steps` in node params, else the
catalog's defaults). Worst counts use the caps in node params (else the catalog's defaults).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from runtime.catalog import DEFAULTS
from runtime.plan import Node


@dataclass(frozen=True, kw_only=True)
class CallCount:
    """Model calls one request makes through a composition."""

    expected: float
    """Calls a typical request makes."""
    worst: int
    """Calls no request can exceed under the caps in the plan."""
    critical_path: float
    """Sequential calls a typical request waits for (parallel branches count once)."""


@dataclass(frozen=True, kw_only=True)
class StepCount:
    """How often one model step runs per request."""

    expected: float
    """Calls of this step in a typical request."""
    worst: int
    """Calls of this step no request can exceed under the caps."""


def _num(node: Node, key: str, default: float) -> float:
    """A numeric node param, or the catalog default when it is absent."""
    value = node.params.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def _cap(node: Node, key: str, default: int) -> int:
    """An integer cap from node params, or the catalog default."""
    return int(_num(node, key, default))


def _rounds(node: Node) -> tuple[float, int]:
    return _num(node, "expected_rounds", DEFAULTS.expected_rounds), _cap(
        node, "max_rounds", DEFAULTS.max_rounds
    )


def _workers(node: Node) -> tuple[float, int]:
    worst = _cap(node, "max_workers", DEFAULTS.max_workers)
    return min(_num(node, "expected_workers", DEFAULTS.expected_workers), worst), worst


def waves(node: Node) -> float:
    """Worker calls a request waits for one after another in an orchestrator: 1 (all at once),
    or with `dependencies` its expected waves (never more than its expected workers)."""
    if not node.params.get("dependencies"):
        return 1.0
    return min(_num(node, "expected_waves", DEFAULTS.expected_waves), _workers(node)[0])


def _items(node: Node) -> tuple[float, int]:
    worst = _cap(node, "max_items", DEFAULTS.max_items)
    return min(_num(node, "expected_items", DEFAULTS.expected_items), worst), worst


def _escalation(node: Node) -> float:
    """A cascade's expected share of answers that go on to the strong model, in [0, 1]."""
    return min(1.0, max(0.0, _num(node, "expected_escalation", DEFAULTS.expected_escalation)))


def _agent_steps(node: Node) -> tuple[float, int]:
    worst = _cap(node, "max_steps", DEFAULTS.max_steps)
    return min(_num(node, "expected_steps", DEFAULTS.expected_steps), worst), worst


def count_calls(node: Node) -> CallCount:
    """Expected, worst and critical-path calls for one request through `node`."""
    kids = [count_calls(child) for child in node.children]
    own = len(node.steps)
    pattern = node.pattern
    if pattern == "code":  # a plain-code step (a check function): no model call
        return CallCount(expected=0, worst=0, critical_path=0)
    if pattern == "single-call":
        return CallCount(expected=1, worst=1, critical_path=1)
    if pattern == "prompt-chaining":
        return CallCount(
            expected=sum(k.expected for k in kids),
            worst=sum(k.worst for k in kids),
            critical_path=sum(k.critical_path for k in kids),
        )
    if pattern == "routing" and node.params.get("by") == "cascade":  # easy, check, maybe hard
        r = _escalation(node)
        easy, hard = kids
        return CallCount(
            expected=easy.expected + own + r * hard.expected,
            worst=easy.worst + own + hard.worst,
            critical_path=easy.critical_path + own + r * hard.critical_path,
        )
    if pattern == "routing":
        return CallCount(
            expected=own + _mean(k.expected for k in kids),
            worst=own + max((k.worst for k in kids), default=0),
            critical_path=own + _mean(k.critical_path for k in kids),
        )
    if pattern == "parallel-sectioning" and node.params.get("each"):  # a map over items
        expected_n, worst_n = _items(node)
        return CallCount(
            expected=own + expected_n * kids[0].expected,
            worst=own + worst_n * kids[0].worst,
            critical_path=own + kids[0].critical_path,
        )
    if pattern == "parallel-sectioning":
        return CallCount(
            expected=own + sum(k.expected for k in kids),
            worst=own + sum(k.worst for k in kids),
            critical_path=own + max((k.critical_path for k in kids), default=0),
        )
    if pattern == "parallel-voting":
        n = _cap(node, "n", DEFAULTS.votes)
        task = kids[0]
        return CallCount(
            expected=n * task.expected, worst=n * task.worst, critical_path=task.critical_path
        )
    if pattern == "orchestrator-workers":
        expected_n, worst_n = _workers(node)
        return CallCount(
            expected=own + expected_n * _mean(k.expected for k in kids),
            worst=own + worst_n * max((k.worst for k in kids), default=0),
            critical_path=own + waves(node) * _mean(k.critical_path for k in kids),
        )
    if pattern == "evaluator-optimizer":
        expected_r, worst_r = _rounds(node)
        gen = kids[0]
        # Each round is a draft (the first, or a revision) and its evaluation; refine never
        # revises after the last evaluation, since nothing would judge that revision.
        return CallCount(
            expected=expected_r * (own + gen.expected),
            worst=worst_r * (own + gen.worst),
            critical_path=expected_r * (own + gen.critical_path),
        )
    expected_s, worst_s = _agent_steps(node)  # agent-loop: one model turn per step
    return CallCount(expected=expected_s, worst=worst_s, critical_path=expected_s)


def per_turn(turn: CallCount, summarize_after: int) -> CallCount:
    """A conversation turn: the turn's own calls, one state update, and the summary fold every
    `summarize_after` turns, amortised (at worst both extra calls land in the same turn).
    Both run after the reply, in the same turn, so they are on its critical path too."""
    extra = 1 + 1 / summarize_after
    return CallCount(
        expected=turn.expected + extra,
        worst=turn.worst + 2,
        critical_path=turn.critical_path + extra,
    )


def step_calls(node: Node) -> dict[str, StepCount]:
    """How often each model step runs per request; the expected counts sum to `count_calls`."""
    counts: dict[str, StepCount] = {}
    _visit(node, 1.0, 1, counts)
    return counts


def _visit(node: Node, exp: float, worst: int, out: dict[str, StepCount]) -> None:
    """Record `node`'s own steps run exp/worst times, then its children with their multipliers."""
    own_exp, own_worst, child_mults = _multipliers(node)
    for step in node.steps:
        out[step] = StepCount(expected=exp * own_exp, worst=worst * own_worst)
    for child, (child_exp, child_worst) in zip(node.children, child_mults, strict=True):
        _visit(child, exp * child_exp, worst * child_worst, out)


def _multipliers(node: Node) -> tuple[float, int, list[tuple[float, int]]]:
    """Per run of `node`: runs of each own step, and runs of each child (expected, worst)."""
    k = len(node.children)
    pattern = node.pattern
    if pattern == "routing" and node.params.get("by") == "cascade":
        return 1, 1, [(1, 1), (_escalation(node), 1)]
    if pattern == "routing":
        return 1, 1, [(1 / k, 1)] * k
    if pattern == "parallel-voting":
        n = _cap(node, "n", DEFAULTS.votes)
        return 1, 1, [(n, n)] * k
    if pattern == "parallel-sectioning" and node.params.get("each"):
        expected_n, worst_n = _items(node)
        return 1, 1, [(expected_n, worst_n)] * k
    if pattern == "orchestrator-workers":
        # Any subtask may be of any type: a worker type may take every subtask in the worst case.
        expected_n, worst_n = _workers(node)
        return 1, 1, [(expected_n / k, worst_n)] * k
    if pattern == "evaluator-optimizer":
        expected_r, worst_r = _rounds(node)
        return expected_r, worst_r, [(expected_r, worst_r)] * k
    if pattern == "agent-loop":
        expected_s, worst_s = _agent_steps(node)
        return expected_s, worst_s, []
    return 1, 1, [(1, 1)] * k


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0
