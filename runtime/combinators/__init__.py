"""Pattern combinators: bounded steps that take steps and compose freely.

Names are imported on first use (PEP 562), so a project that runs one model step does not pay
for importing the voting, orchestration and agent machinery it never uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import make_lazy

if TYPE_CHECKING:
    from .agent import agent_loop
    from .base import Note, Step, as_step, note
    from .cascade import Attempt, Confidence, cascade
    from .chain import chain
    from .errors import BranchFailed, GateFailed, PlanRejected
    from .execute import Outcome, execute, execute_sync
    from .gates import Gate, conforms, matches, max_length, min_length, required_fields
    from .orchestrate import Done, Work, orchestrate
    from .parallel import Sections, parallel
    from .refine import Draft, Verdict, refine
    from .results import UNCERTAIN, AgentResult, Refined, VoteResult
    from .route import route
    from .step import llm
    from .tools import Tool, tool
    from .vote import vote
    from .waves import Briefing

# The module of this package that defines each public name, imported on first use. The
# TYPE_CHECKING block and __all__ say the same for type checkers (a test checks all three agree).
_MODULE_OF = {
    "AgentResult": "results",
    "Attempt": "cascade",
    "Confidence": "cascade",
    "cascade": "cascade",
    "agent_loop": "agent",
    "Note": "base",
    "Step": "base",
    "as_step": "base",
    "note": "base",
    "chain": "chain",
    "BranchFailed": "errors",
    "GateFailed": "errors",
    "PlanRejected": "errors",
    "Outcome": "execute",
    "execute": "execute",
    "execute_sync": "execute",
    "Gate": "gates",
    "conforms": "gates",
    "matches": "gates",
    "max_length": "gates",
    "min_length": "gates",
    "required_fields": "gates",
    "Done": "orchestrate",
    "Work": "orchestrate",
    "orchestrate": "orchestrate",
    "Sections": "parallel",
    "parallel": "parallel",
    "Draft": "refine",
    "Refined": "results",
    "Verdict": "refine",
    "refine": "refine",
    "route": "route",
    "llm": "step",
    "Tool": "tools",
    "tool": "tools",
    "UNCERTAIN": "results",
    "VoteResult": "results",
    "vote": "vote",
    "Briefing": "waves",
}

__all__ = [
    "UNCERTAIN",
    "AgentResult",
    "Attempt",
    "BranchFailed",
    "Briefing",
    "Confidence",
    "Done",
    "Draft",
    "Gate",
    "GateFailed",
    "Note",
    "Outcome",
    "PlanRejected",
    "Refined",
    "Sections",
    "Step",
    "Tool",
    "Verdict",
    "VoteResult",
    "Work",
    "agent_loop",
    "as_step",
    "cascade",
    "chain",
    "conforms",
    "execute",
    "execute_sync",
    "llm",
    "matches",
    "max_length",
    "min_length",
    "note",
    "orchestrate",
    "parallel",
    "refine",
    "required_fields",
    "route",
    "tool",
    "vote",
]

make_lazy(__name__, _MODULE_OF)
