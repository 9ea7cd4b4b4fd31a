"""One pipeline of a v2 answers file as a tree: each step where its role puts it.

Checks gate the step they judge (stop) or loop it (revise); the evaluator wraps only the
refined step, the vote only the voted step, guardrails run beside the guarded step; a parallel
stage sits where it is listed. Every wrapper keeps the name of what it wraps findable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runtime.catalog import DEFAULTS
from runtime.plan import Node

from ..task_model import Named, ParallelStage, StepEntry, StepSpec, as_spec, checked_step
from .tree import call, code


@dataclass(frozen=True)
class Wraps:
    """Which steps of the pipeline get a loop, a vote or guardrails around them."""

    refine: str | None = None
    """The step the evaluator loop wraps."""
    criteria: tuple[Named, ...] = ()
    """What the evaluator checks."""
    vote: str | None = None
    """The step that is voted on."""
    guard: str | None = None
    """The step the guardrails run beside."""
    guardrails: tuple[Named, ...] = ()
    """The guardrails."""
    concurrency: int = DEFAULTS.concurrency
    """Branches at once in a parallel stage."""


@dataclass
class _Link:
    node: Node
    names: list[str]
    gates: list[Node] = field(default_factory=list)


def leaf(spec: StepSpec) -> Node:
    """A step as a node: a model call with its role, or a code check."""
    if spec.kind == "check" and spec.by == "code":
        return code(spec.name, role="check", by="code")
    return call(spec.name, role=spec.kind)


def build_pipeline(entries: list[StepEntry], wraps: Wraps) -> Node:
    """The steps of one pipeline, wired by role, as one node (a chain when more than one)."""
    specs_all = [s for e in entries for s in _specs(e)]
    links: list[_Link] = []
    where: dict[str, int] = {}
    for entry in entries:
        if isinstance(entry, ParallelStage):
            where.update({s.name: len(links) for s in entry.specs()})
            links.append(_Link(_stage(entry, wraps), [s.name for s in entry.specs()]))
            continue
        spec = as_spec(entry)
        index = specs_all.index(spec)
        target = checked_step(specs_all, index) if spec.kind == "check" else None
        if spec.kind == "check" and target is not None and target in where:
            _attach_check(links[where[target]], spec, target)
            continue
        node = _wrapped(_first_step(spec, target), wraps)
        if spec.each:
            node = _map(node, spec.each, wraps)
        where[spec.name] = len(links)
        links.append(_Link(node, [spec.name]))
    nodes = [n for link in links for n in (link.node, *link.gates)]
    if len(nodes) == 1:
        return nodes[0]
    return Node(pattern="prompt-chaining", name="chain", children=nodes)


def _specs(entry: StepEntry) -> list[StepSpec]:
    return entry.specs() if isinstance(entry, ParallelStage) else [as_spec(entry)]


def _first_step(spec: StepSpec, target: str | None) -> Node:
    """A step as a node; a check with nothing before it judges the input itself."""
    if spec.kind != "check":
        return leaf(spec)
    if spec.role is None:  # a bare name like `moderate` alone: its verdict is the output
        return call(spec.name)
    node = leaf(spec)
    return node.model_copy(update={"params": {**node.params, "checks": "input", "on_fail": "stop"}})


def _attach_check(link: _Link, spec: StepSpec, target: str) -> None:
    """A check right after the step it judges: a gate (stop) or a loop around it (revise)."""
    if spec.on_fail == "revise":
        link.node = Node(
            pattern="evaluator-optimizer",
            name=spec.name,
            steps=[spec.name] if spec.by == "model" else [],
            children=[link.node],
            params={
                "role": "check",
                "by": spec.by,
                "checks": target,
                "on_fail": "revise",
                "max_rounds": DEFAULTS.max_rounds,
                "expected_rounds": DEFAULTS.expected_rounds,
            },
        )
        return
    gate = leaf(spec)
    params = {**gate.params, "checks": target, "on_fail": "stop"}
    link.gates.append(gate.model_copy(update={"params": params}))


def _wrapped(node: Node, wraps: Wraps) -> Node:
    """`node` with the refine loop, the vote and the guardrails that name it, inside out."""
    name = node.name
    if wraps.refine == name and wraps.criteria:
        node = evaluator(node, list(wraps.criteria))
    if wraps.vote == name:
        node = Node(
            pattern="parallel-voting",
            name="vote",
            children=[node],
            params={"n": DEFAULTS.votes, "threshold": DEFAULTS.vote_threshold},
        )
    if wraps.guard == name and wraps.guardrails:
        rails = [_guardrail(g) for g in wraps.guardrails]
        node = Node(
            pattern="parallel-sectioning",
            name="guard",
            children=[node, *rails],
            params={
                "role": "guard",
                "guard": name,
                "branch_timeout_s": DEFAULTS.branch_timeout_s,
                "concurrency": max(wraps.concurrency, 1 + len(rails)),
            },
        )
    return node


def _map(node: Node, item: str, wraps: Wraps) -> Node:
    """`node` once per item code splits from the input, in parallel, with no planning call."""
    return Node(
        pattern="parallel-sectioning",
        name=f"each {item}",
        children=[node],
        params={
            "each": item,
            "max_items": DEFAULTS.max_items,
            "expected_items": DEFAULTS.expected_items,
            "branch_timeout_s": DEFAULTS.branch_timeout_s,
            "concurrency": max(wraps.concurrency, DEFAULTS.max_items),
        },
    )


def _guardrail(rail: Named) -> Node:
    if rail.by == "code":
        return code(rail.name, role="check", by="code", on_fail="stop")
    return call(rail.name, role="check", on_fail="stop")


def evaluator(generator: Node, criteria: list[Named]) -> Node:
    """An evaluator-optimizer loop around `generator`; code criteria cost no model call."""
    by_model = any(c.by == "model" for c in criteria)
    params: dict[str, object] = {
        "max_rounds": DEFAULTS.max_rounds,
        "expected_rounds": DEFAULTS.expected_rounds,
        "criteria": [c.name for c in criteria],
    }
    code_criteria = [c.name for c in criteria if c.by == "code"]
    if code_criteria:
        params["code_criteria"] = code_criteria
    return Node(
        pattern="evaluator-optimizer",
        name="refine",
        steps=["evaluate"] if by_model else [],
        children=[generator],
        params=params,
    )


def _stage(stage: ParallelStage, wraps: Wraps) -> Node:
    specs = stage.specs()
    all_checks = all(s.kind == "check" for s in specs)
    params: dict[str, object] = {
        "branch_timeout_s": DEFAULTS.branch_timeout_s,
        "concurrency": max(wraps.concurrency, len(specs)),
    }
    if all_checks:
        params["role"] = "check"
    return Node(
        pattern="parallel-sectioning",
        name="parallel",
        steps=["merge"] if stage.merge == "model" and not all_checks else [],
        children=[_wrapped(leaf(s), wraps) for s in specs],
        params=params,
    )
