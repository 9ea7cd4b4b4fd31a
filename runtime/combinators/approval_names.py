"""Tool names as approval compares them, and the tools a plan asks about: light enough for
`batch` to check `--approve` without loading the approval machinery."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..plan import Node


def tool_key(name: str) -> str:
    """A tool's name as approval compares it: `issue refund` in the answers, `Issue-Refund` on
    the command line and the generated function `issue_refund` are one tool."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "_".join(re.findall(r"[a-z0-9]+", text))


def tools_needing(plan: Node) -> list[str]:
    """The tools (and action steps) a plan lists under `approval`, in settings.json's spelling."""
    listed = (n.params.get("approval") for n in plan.walk())
    return sorted({str(t) for tools in listed if isinstance(tools, list) for t in tools})


def gated_steps(plan: Node) -> dict[str, str]:
    """Steps of a known flow that ask before they run, and the approval name each acts as
    (`billing_issue_refund` -> `issue_refund` when the user listed `issue_refund`)."""
    out: dict[str, str] = {}
    for n in plan.walk():
        listed = n.params.get("approval")
        if n.pattern == "single-call" and n.steps and isinstance(listed, list) and listed:
            out[n.steps[0]] = str(listed[0])
    return out


def unknown_approvals(plan: Node, approve: Iterable[str]) -> str | None:
    """The first `--approve` name no node of the plan asks about, as a one-line error (a gated
    step's own name, such as `billing_issue_refund`, counts as well as its approval name)."""
    needing = tools_needing(plan)
    known = {tool_key(t) for t in [*needing, *gated_steps(plan)]}
    for name in approve:
        if tool_key(name) not in known:
            listed = ", ".join(needing) if needing else "none"
            return f"--approve {name}: no such tool needs approval (those that do: {listed})"
    return None
