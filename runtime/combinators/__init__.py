"""Pattern combinators: bounded steps that take steps and compose freely."""

from .agent import AgentResult, agent_loop
from .base import Note, Step, as_step, note
from .chain import chain
from .errors import BranchFailed, GateFailed, PlanRejected
from .execute import Outcome, execute, execute_sync
from .gates import Gate, conforms, matches, max_length, min_length, required_fields
from .orchestrate import Done, Work, orchestrate
from .parallel import Sections, parallel
from .refine import Draft, Refined, Verdict, refine
from .route import route
from .step import llm
from .tools import Tool, tool
from .vote import UNCERTAIN, VoteResult, vote

__all__ = [
    "UNCERTAIN",
    "AgentResult",
    "BranchFailed",
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
