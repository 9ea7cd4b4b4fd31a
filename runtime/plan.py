"""The composition tree: which pattern wraps which, with the parameters each needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field

PatternId = Literal[
    "single-call",
    "prompt-chaining",
    "routing",
    "parallel-sectioning",
    "parallel-voting",
    "orchestrator-workers",
    "evaluator-optimizer",
    "agent-loop",
]

PATTERN_IDS: tuple[PatternId, ...] = get_args(PatternId)
"""Every pattern id, lowest rung first."""

NodePattern = Literal[PatternId, "code"]
"""What a composition node is: a pattern id, or `code` for a step that makes no model call."""

CODE: Literal["code"] = "code"
"""The node pattern of a step done by plain code (a check function the user fills in)."""

Param = Union[str, int, float, bool, list[str], None]  # noqa: UP007 - pydantic needs the runtime union on 3.10


class Node(BaseModel):
    """One pattern in a composition; leaves are single model calls."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: NodePattern
    """Which ladder pattern this node implements (`code`: a step that makes no model call)."""
    name: str
    """The user's name for this node: a step, category, branch or worker type."""
    steps: list[str] = Field(default_factory=list)
    """Model-call steps this node owns itself (classifier, planner, evaluator, merge...)."""
    children: list[Node] = Field(default_factory=list)
    """Ordered sub-nodes: chain steps, route handlers, branches, worker types, the voted task."""
    params: dict[str, Param] = Field(default_factory=dict)
    """Pattern parameters: caps, thresholds, fallback label, tools, criteria."""

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def all_steps(self) -> list[str]:
        """Every model-call step in the tree, in walk order."""
        return [step for node in self.walk() for step in node.steps]

    def patterns(self) -> set[str]:
        """Every pattern id used in the tree (`code` steps are not patterns)."""
        return {node.pattern for node in self.walk() if node.pattern != CODE}

    def depth(self) -> int:
        """Nesting depth of non-leaf patterns (a lone single call is 0)."""
        if not self.children:
            return 0 if self.pattern in ("single-call", CODE) else 1
        return 1 + max(child.depth() for child in self.children)
