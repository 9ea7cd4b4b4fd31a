"""Approval outside agent loops: a step named like a tool under `approval` (`send_reply`, or
`billing_send_reply` in a category's pipeline) waits for a person's yes before it runs, as the
tool would in an agent. An approval that names no such step, with no agent to call the tool,
has no effect, and the advice says so."""

from __future__ import annotations

from runtime.combinators.approval import gated_steps, tool_key
from runtime.plan import Node

from ..answers import Answers


def _acts_as(step: str, tools: list[str]) -> str | None:
    """The approval tool a step is named after, if any (a category or tier prefix allowed)."""
    key = tool_key(step)
    for tool in tools:
        wanted = tool_key(tool)
        if key == wanted or key.endswith("_" + wanted):
            return tool
    return None


def _is_action(node: Node, tools: list[str]) -> bool:
    return (
        node.pattern == "single-call"
        and len(node.steps) == 1
        and bool(tools)
        and (_acts_as(node.steps[0], tools) is not None)
    )


def mark_actions(answers: Answers, tree: Node) -> Node:
    """The tree with every step named like an approval tool marked `approval: [STEP]`."""
    tools = list(answers.approval)
    if not tools or tree.pattern == "agent-loop":
        return tree

    def mark(node: Node) -> Node:
        children = [mark(c) for c in node.children]
        params = dict(node.params)
        acts_as = _acts_as(node.steps[0], tools) if _is_action(node, tools) else None
        if acts_as is not None:  # the user's name: `--approve issue_refund` in every category
            params["approval"] = [acts_as]
        return node.model_copy(update={"children": children, "params": params})

    return mark(tree)


def approval_reasons(tree: Node) -> list[str]:
    """Why each action step waits: in the user's words, with the way to allow it up front."""
    return [
        f"{step} acts outside the system (it is under `approval`), so it waits for a person's "
        f"yes before it runs; without a terminal it does not run unless `--approve {tool}` "
        "allows it, and every decision is traced."
        for step, tool in gated_steps(tree).items()
    ]


def approval_warnings(answers: Answers, tree: Node) -> list[str]:
    """Approval tools that nothing asks about: no agent calls them and no step is named so."""
    if answers.flow == "unknown" or not answers.approval:
        return []
    gated = gated_steps(tree)
    idle = [t for t in answers.approval if not any(_acts_as(s, [t]) for s in gated)]
    if not idle:
        return []
    names = ", ".join(idle)
    return [
        f"`approval` lists {names}, but with `flow: {answers.flow}` no agent calls tools and "
        f"no step is named {idle[0]}: nothing asks a person before it runs. Name the step that "
        f"performs it {idle[0]} (it then waits for a yes), or ask for the yes in your own code "
        "before you call it."
    ]
