"""wfadvise runtime: bounded model calls, budgets, retries, traces and pattern combinators.

Vendored into every generated project; depends only on pydantic and the standard library
(litellm is imported lazily, only when a real model is called). Public names are imported
on first use (PEP 562): a run imports only the modules it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import make_lazy

if TYPE_CHECKING:
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
    from .model_calls.budget import Budget, Limits
    from .model_calls.completion import ToolCall, Usage
    from .model_calls.models import CallResult, ModelMap, Run, RunSummary
    from .model_calls.prices import Price, PriceBook
    from .model_calls.retry import RetryPolicy
    from .model_calls.simulated import Fail, Reply, SimulatedModel, Timeout
    from .plan import PATTERN_IDS, Node, PatternId
    from .scope import current_path, scope, step_path

# The module of this package that defines each public name, imported on first use. The
# TYPE_CHECKING block and __all__ say the same for type checkers (a test checks all three agree).
_MODULE_OF = {
    "Budget": "model_calls.budget",
    "Limits": "model_calls.budget",
    "Cap": "caps",
    "check_cap": "caps",
    "clamp_to_cap": "caps",
    "UNCERTAIN": "combinators",
    "AgentResult": "combinators",
    "BranchFailed": "combinators",
    "Draft": "combinators",
    "GateFailed": "combinators",
    "Outcome": "combinators",
    "PlanRejected": "combinators",
    "Refined": "combinators",
    "Sections": "combinators",
    "Step": "combinators",
    "Tool": "combinators",
    "Verdict": "combinators",
    "VoteResult": "combinators",
    "Work": "combinators",
    "agent_loop": "combinators",
    "chain": "combinators",
    "execute": "combinators",
    "execute_sync": "combinators",
    "llm": "combinators",
    "orchestrate": "combinators",
    "parallel": "combinators",
    "refine": "combinators",
    "route": "combinators",
    "tool": "combinators",
    "vote": "combinators",
    "ToolCall": "model_calls.completion",
    "Usage": "model_calls.completion",
    "BudgetExceeded": "errors",
    "CapReached": "errors",
    "ModelCallError": "errors",
    "ModelRequestsDisabled": "errors",
    "OutputValidationError": "errors",
    "StoppedError": "errors",
    "UnknownPriceError": "errors",
    "WorkflowError": "errors",
    "CallResult": "model_calls.models",
    "ModelMap": "model_calls.models",
    "Run": "model_calls.models",
    "RunSummary": "model_calls.models",
    "PATTERN_IDS": "plan",
    "Node": "plan",
    "PatternId": "plan",
    "Price": "model_calls.prices",
    "PriceBook": "model_calls.prices",
    "RetryPolicy": "model_calls.retry",
    "current_path": "scope",
    "scope": "scope",
    "step_path": "scope",
    "Fail": "model_calls.simulated",
    "Reply": "model_calls.simulated",
    "SimulatedModel": "model_calls.simulated",
    "Timeout": "model_calls.simulated",
}

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

make_lazy(__name__, _MODULE_OF)
