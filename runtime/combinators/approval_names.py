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


def unknown_approvals(plan: Node, approve: Iterable[str]) -> str | None:
    """The first `--approve` name no node of the plan asks about, as a one-line error."""
    needing = tools_needing(plan)
    for name in approve:
        if tool_key(name) not in {tool_key(t) for t in needing}:
            listed = ", ".join(needing) if needing else "none"
            return f"--approve {name}: no such tool needs approval (those that do: {listed})"
    return None
