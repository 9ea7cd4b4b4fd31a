"""wfadvise runtime: bounded model calls, budgets, retries, traces and pattern combinators.

Vendored into every generated project; depends only on pydantic and the standard library
(litellm is imported lazily, only when a real model is called).
"""

from .budget import Budget, Limits
from .caps import Cap, check_cap, clamp_to_cap
from .combinators import (
    UNCERTAIN,
    AgentResult,
    BranchFailed,
    Draft,
    GateFailed,
    Outcome,
    PlanRejected,
    Refined,
    Sections,
    Step,
    Tool,
    Verdict,
    VoteResult,
    Work,
    agent_loop,
    chain,
    execute,
    execute_sync,
    llm,
    orchestrate,
    parallel,
    refine,
    route,
    tool,
    vote,
)
from .completion import ToolCall, Usage
from .errors import (
    BudgetExceeded,
    CapReached,
    ModelCallError,
    ModelRequestsDisabled,
    OutputValidationError,
    StoppedError,
    UnknownPriceError,
    WorkflowError,
)
from .models import CallResult, ModelMap, Run, RunSummary
from .plan import PATTERN_IDS, Node, PatternId
from .prices import Price, PriceBook
from .retry import RetryPolicy
from .scope import current_path, scope, step_path
from .simulated import Fail, Reply, SimulatedModel, Timeout

__all__ = [
    "PATTERN_IDS",
    "UNCERTAIN",
    "AgentResult",
    "BranchFailed",
    "Budget",
    "BudgetExceeded",
    "CallResult",
    "Cap",
    "CapReached",
    "Draft",
    "Fail",
    "GateFailed",
    "Limits",
    "ModelCallError",
    "ModelMap",
    "ModelRequestsDisabled",
    "Node",
    "Outcome",
    "OutputValidationError",
    "PatternId",
    "PlanRejected",
    "Price",
    "PriceBook",
    "Refined",
    "Reply",
    "RetryPolicy",
    "Run",
    "RunSummary",
    "Sections",
    "SimulatedModel",
    "Step",
    "StoppedError",
    "Timeout",
    "Tool",
    "ToolCall",
    "UnknownPriceError",
    "Usage",
    "Verdict",
    "VoteResult",
    "Work",
    "WorkflowError",
    "agent_loop",
    "chain",
    "check_cap",
    "clamp_to_cap",
    "current_path",
    "execute",
    "execute_sync",
    "llm",
    "orchestrate",
    "parallel",
    "refine",
    "route",
    "scope",
    "step_path",
    "tool",
    "vote",
]
