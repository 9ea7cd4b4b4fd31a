"""The names a cascade (`difficulty.by: cascade`) needs in the advice and the generated project:
which routing nodes are cascades, the plan's patterns as the template reads them, and the
function a code check fills in."""

from __future__ import annotations

from typing import Any

from runtime.plan import Node

from .identifiers import unique_identifiers


def is_cascade(node: Node) -> bool:
    """A routing node that is a cascade, wired by cascade() rather than route()."""
    return node.pattern == "routing" and node.params.get("by") == "cascade"


def template_patterns(plan: Node) -> list[str]:
    """The plan's patterns, where `routing` means a router (a classify call and its labels):
    a cascade alone needs no label schema."""
    found: set[str] = set(plan.patterns())
    if all(is_cascade(n) for n in plan.walk() if n.pattern == "routing"):
        found.discard("routing")
    return sorted(found)


def confidence_fn(cascade: str) -> str:
    """The confidence.py function that rates a cascade's cheap answer (`check: code`)."""
    base = "confidence" if cascade == "cascade" else f"{cascade}_confidence"
    return unique_identifiers([base], fallback="confidence")[base]


def cascades(plan: Node) -> dict[str, dict[str, Any]]:
    """Per cascade node: its check (`model` or `code`), the confidence.py function a code check
    fills in, its threshold, and the strong tier's steps."""
    return {
        n.name: {
            "check": "model" if n.steps else "code",
            "fn": confidence_fn(n.name),
            "threshold": n.params.get("threshold"),
            "hard": n.children[1].all_steps(),
            "easy_call": n.children[0].steps[0] if n.children[0].pattern == "single-call" else "",
        }
        for n in plan.walk()
        if is_cascade(n)
    }
