"""Each pattern's parameters as a typed model: validated, and missing ones filled, when settings
load. `run`, `estimate` and the generated tests then read the same values (one policy for
defaults: the catalog's), and a bad cap is a one-line settings error instead of a crash later.

Other keys a node carries (role, criteria, checks, tools...) pass through unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .catalog import DEFAULTS
from .plan import Node


class _Params(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class RouteParams(_Params):
    """routing: where an unclear input goes (default: the last handler)."""

    fallback: str | None = None


class SectionParams(_Params):
    """parallel-sectioning: how long a branch may take and how many run at once."""

    branch_timeout_s: float | None = Field(default=DEFAULTS.branch_timeout_s, gt=0)
    """None: no limit of its own (each call has `timeout_s`, each loop its cap)."""
    concurrency: int = Field(default=DEFAULTS.concurrency, ge=1)


class EachParams(SectionParams):
    """parallel-sectioning as a map over items (`each`): the cap on items, their typical count."""

    max_items: int = Field(default=DEFAULTS.max_items, ge=1, le=1000)
    expected_items: float = Field(default=DEFAULTS.expected_items, gt=0)


class CascadeParams(_Params):
    """routing as a cascade (`by: cascade`): the confidence threshold, how it is checked, and
    the share of answers expected to go on to the strong model."""

    threshold: float = Field(default=DEFAULTS.cascade_threshold, gt=0, le=1)
    check: Literal["model", "code"] = "model"
    expected_escalation: float = Field(default=DEFAULTS.expected_escalation, ge=0, le=1)


class VoteParams(_Params):
    """parallel-voting: votes taken and the share that must agree."""

    n: int = Field(default=DEFAULTS.votes, ge=1, le=100)
    threshold: float = Field(default=DEFAULTS.vote_threshold, gt=0, le=1)


class OrchestrateParams(_Params):
    """orchestrator-workers: the cap on subtasks, their typical count, unknown kinds' fate."""

    max_workers: int = Field(default=DEFAULTS.max_workers, ge=1, le=1000)
    expected_workers: float = Field(default=DEFAULTS.expected_workers, gt=0)
    on_unknown: str = "skip"


class WavesParams(OrchestrateParams):
    """orchestrator-workers with `dependencies`: subtasks run in waves; their typical count."""

    dependencies: bool = True
    expected_waves: float = Field(default=DEFAULTS.expected_waves, gt=0)


class RefineParams(_Params):
    """evaluator-optimizer (and a check that sends feedback back): rounds, capped and typical."""

    max_rounds: int = Field(default=DEFAULTS.max_rounds, ge=1, le=100)
    expected_rounds: float = Field(default=DEFAULTS.expected_rounds, gt=0)


class AgentParams(_Params):
    """agent-loop: model turns, capped and typical, and the tools it may call."""

    max_steps: int = Field(default=DEFAULTS.max_steps, ge=1, le=1000)
    expected_steps: float = Field(default=DEFAULTS.expected_steps, gt=0)
    tools: list[str] = Field(default_factory=list)


PARAMS: dict[str, type[_Params]] = {
    "routing": RouteParams,
    "parallel-sectioning": SectionParams,
    "parallel-voting": VoteParams,
    "orchestrator-workers": OrchestrateParams,
    "evaluator-optimizer": RefineParams,
    "agent-loop": AgentParams,
}
"""The parameter model of every pattern that has parameters."""


def with_defaults(node: Node) -> Node:
    """`node` and every node below it with params validated and missing ones filled.

    Raises ValueError naming the node and the parameter when one is out of range.
    """
    children = [with_defaults(c) for c in node.children]
    model = PARAMS.get(node.pattern)
    if node.pattern == "parallel-sectioning" and node.params.get("each"):
        model = EachParams
    if node.pattern == "orchestrator-workers" and node.params.get("dependencies"):
        model = WavesParams
    if node.pattern == "routing" and node.params.get("by") == "cascade":
        model = CascadeParams
    params: dict[str, Any] = dict(node.params)
    if model is not None:
        try:
            params = model.model_validate(params).model_dump()
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            key = ".".join(str(p) for p in first["loc"])
            raise ValueError(
                f"{node.pattern} {node.name!r}: {key} {first['msg'].lower()} "
                f"(got {first.get('input')!r})"
            ) from None
    is_router = node.pattern == "routing" and params.get("by") != "cascade"
    if is_router and params.get("fallback") is None and children:
        params["fallback"] = children[-1].name
    return node.model_copy(update={"children": children, "params": params})
