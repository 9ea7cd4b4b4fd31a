"""wfadvise runtime: bounded model calls, budgets, retries, traces and pattern combinators.

Vendored into every generated project; depends only on pydantic and the standard library
(litellm is imported lazily, only when a real model is called).
"""

from .budget import Budget, Limits
from .caps import Cap, check_cap, clamp_to_cap
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
    "Budget",
    "BudgetExceeded",
    "CallResult",
    "Cap",
    "CapReached",
    "Fail",
    "Limits",
    "ModelCallError",
    "ModelMap",
    "ModelRequestsDisabled",
    "Node",
    "OutputValidationError",
    "PatternId",
    "Price",
    "PriceBook",
    "Reply",
    "RetryPolicy",
    "Run",
    "RunSummary",
    "SimulatedModel",
    "StoppedError",
    "Timeout",
    "ToolCall",
    "UnknownPriceError",
    "Usage",
    "WorkflowError",
    "check_cap",
    "clamp_to_cap",
    "current_path",
    "scope",
    "step_path",
]
