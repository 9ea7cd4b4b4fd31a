"""Build a runnable flow from a plan with the runtime combinators, as a generated project does.

Shared by the estimate tests and benchmarks: every model step is an `llm` step whose prompt is
its prompt text plus `{input}`; steps of structured kinds get a response model.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, create_model

from runtime import (
    Verdict,
    agent_loop,
    chain,
    llm,
    orchestrate,
    parallel,
    refine,
    route,
    vote,
)
from runtime.catalog import step_kinds
from runtime.combinators.base import Step
from runtime.estimate.figures import STRUCTURED_KINDS
from runtime.plan import Node

TOOL_RESULT = "result " * 40  # a tool reply of a known, bounded size


class Check(BaseModel):
    """A validate step's verdict."""

    ok: bool
    """Passed."""
    reason: str = ""
    """Why not."""


def build_flow(plan: Node, prompts: dict[str, str]) -> Step:
    """A flow for `plan` made of the runtime's combinators."""
    kinds = step_kinds(plan)
    return _node(plan, prompts, kinds)


def _call(step: str, prompts: dict[str, str], kinds: dict[str, str], model: Any = None) -> Step:
    kind = kinds[step]
    response: Any = model
    if response is None and kind in STRUCTURED_KINDS:
        response = {"evaluate": Verdict}.get(kind, Check)
    return llm(step, prompts.get(step, "") + "\n{input}", response_model=response)


def _node(node: Node, prompts: dict[str, str], kinds: dict[str, str]) -> Step:
    p, kids = node.pattern, [_node(c, prompts, kinds) for c in node.children]
    if p == "single-call":
        return _call(node.steps[0], prompts, kinds)
    if p == "prompt-chaining":
        return chain(*kids)
    if p == "routing":
        names = tuple(c.name for c in node.children)
        label = create_model("Label", label=(Literal[names], ...))  # type: ignore[valid-type]
        fallback = str(node.params.get("fallback") or names[-1])
        handlers = dict(zip(names, kids, strict=True))
        return route(_call(node.steps[0], prompts, kinds, label), handlers, fallback=fallback)
    if p == "parallel-sectioning":
        merge = _call(node.steps[0], prompts, kinds) if node.steps else None
        return parallel({c.name: k for c, k in zip(node.children, kids, strict=True)}, merge=merge)
    if p == "parallel-voting":
        return vote(kids[0], n=int(node.params["n"]), threshold=0.5)  # type: ignore[arg-type]
    if p == "orchestrator-workers":
        return _orchestrate(node, kids, prompts, kinds)
    if p == "evaluator-optimizer":
        cap = int(node.params["max_rounds"])  # type: ignore[arg-type]
        return refine(kids[0], _call(node.steps[0], prompts, kinds), max_rounds=cap)
    tools = [_tool(str(name)) for name in node.params.get("tools") or ["lookup"]]  # type: ignore[union-attr]
    return agent_loop(
        node.steps[0],
        tools,
        max_steps=int(node.params["max_steps"]),  # type: ignore[arg-type]
        prompt=prompts.get(node.steps[0], "") + "\n{input}",
    )


def _orchestrate(
    node: Node, kids: list[Step], prompts: dict[str, str], kinds: dict[str, str]
) -> Step:
    names = tuple(c.name for c in node.children)
    sub = create_model("Subtask", kind=(Literal[names], ...), detail=(str, ...))  # type: ignore[valid-type]
    plan = create_model("Plan", subtasks=(list[sub], ...))  # type: ignore[valid-type]
    return orchestrate(
        _call(node.steps[0], prompts, kinds, plan),
        dict(zip(names, kids, strict=True)),
        max_workers=int(node.params["max_workers"]),  # type: ignore[arg-type]
        synthesize=_call(node.steps[1], prompts, kinds),
    )


def _tool(name: str) -> Any:
    def fn(query: str) -> str:
        return TOOL_RESULT

    fn.__name__ = name
    return fn
