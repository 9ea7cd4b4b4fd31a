"""Tree helpers of the diagnosis: leaves, labels, prefixes, unique names, the primary pattern."""

from __future__ import annotations

from typing import Any

from runtime.catalog import rung
from runtime.plan import CODE, Node, PatternId

FALLBACK_NAMES = ("general", "other", "default", "misc", "unknown")
"""Category names that mean "anything else": the router's fallback when one is listed."""
_LABEL_PARAMS = ("fallback", "on_unknown")


def call(name: str, **params: Any) -> Node:
    """A single model call named `name`."""
    return Node(pattern="single-call", name=name, steps=[name], params=params)


def code(name: str, **params: Any) -> Node:
    """A step done by plain code (no model call)."""
    return Node(pattern=CODE, name=name, params=params)


def primary_pattern(tree: Node) -> PatternId:
    """The highest rung in the tree; on a tie, the outermost pattern."""
    best: PatternId = "single-call"
    for node in tree.walk():
        if node.pattern != CODE and rung(node.pattern) > rung(best):
            best = node.pattern
    return best


def uses(tree: Node) -> list[PatternId]:
    """Every pattern in the tree, sorted; single-call only when it is the whole tree."""
    found: set[PatternId] = {n.pattern for n in tree.walk() if n.pattern != CODE}
    if found != {"single-call"}:
        found.discard("single-call")
    return sorted(found or {"single-call"})


def fallback(labels: list[str]) -> str:
    """The label anything unclear goes to: a catch-all name if listed, else the last label."""
    for label in labels:
        if label.lower() in FALLBACK_NAMES:
            return label
    return labels[-1]


def for_label(node: Node, label: str) -> Node:
    """`node` as the handler (or worker) for `label`: named for it, its steps prefixed by it."""
    if node.pattern == "single-call":
        return call(label, **node.params)
    if node.pattern == "agent-loop":
        return node.model_copy(update={"name": label, "steps": [label]})
    return prefixed(node, label).model_copy(update={"name": label})


def handler(node: Node, label: str) -> Node:
    """`node` as the handler for a route label (a category, a tier): named for the label, its
    steps prefixed by it, so the user's step stays findable (`billing_draft_reply`) whatever
    the handler's shape (one call, a check's revise loop, a refine loop, a chain, a vote)."""
    return prefixed(node, label).model_copy(update={"name": label})


def prefixed(node: Node, prefix: str) -> Node:
    """Every step and leaf of `node` renamed `PREFIX_name` (a category's own copy)."""
    steps = [f"{prefix}_{s}" for s in node.steps]
    children = [prefixed(c, prefix) for c in node.children]
    if node.pattern == "single-call":
        name = steps[0]
    elif node.pattern == CODE or node.params.get("role") == "check":
        name = f"{prefix}_{node.name}"
    else:
        name = node.name
    params = relabelled(node, children)  # `checks` and `guard` keep the user's step names
    return node.model_copy(
        update={"name": name, "steps": steps, "children": children, "params": params}
    )


def relabelled(node: Node, children: list[Node]) -> dict[str, Any]:
    """`node.params` with the labels they name (routing's `fallback`, an orchestrator's
    `on_unknown`) following the renamed `children`, so they still name a handler or worker."""
    renamed = {old.name: new.name for old, new in zip(node.children, children, strict=True)}
    return {
        key: renamed.get(value, value) if key in _LABEL_PARAMS and isinstance(value, str) else value
        for key, value in node.params.items()
    }


def unique_steps(tree: Node) -> Node:
    """Rename repeated step names (`merge`, `merge_2`...) so every step has its own settings."""
    seen: set[str] = set()

    def fresh(step: str) -> str:
        name, i = step, 2
        while name.lower() in seen:
            name, i = f"{step}_{i}", i + 1
        seen.add(name.lower())
        return name

    def visit(node: Node) -> Node:
        steps = [fresh(s) for s in node.steps]
        children = [visit(c) for c in node.children]
        update: dict[str, object] = {
            "steps": steps,
            "children": children,
            "params": relabelled(node, children),
        }
        if node.steps and node.name == node.steps[0]:
            # Only a node named for its step follows that step's new name. A handler named for
            # its route label (a category, a tier) keeps it whatever its shape (one call, a
            # check's revise loop, a chain, a vote): the label is what the classifier answers.
            update["name"] = steps[0]
        return node.model_copy(update=update)

    return visit(tree)


def find(tree: Node, name: str) -> Node | None:
    """The first node named `name`, depth first."""
    return next((n for n in tree.walk() if n.name == name), None)
