"""Errors the combinators raise when a declared policy says "fail"."""

from __future__ import annotations

from typing import Any

from ..errors import WorkflowError


class GateFailed(WorkflowError):
    """A gate between chain steps rejected a step's output; the chain stopped there."""

    def __init__(self, step: str, reason: str, output: Any) -> None:
        super().__init__(f"gate after step {step!r} failed: {reason}")
        self.step = step
        """Name of the step whose output failed the gate."""
        self.reason = reason
        """What the gate found wrong."""
        self.output = output
        """The rejected output, for inspection or a manual retry."""


class BranchFailed(WorkflowError):
    """A parallel branch (or worker) failed or timed out under on_failure="fail"."""

    def __init__(self, branch: str, reason: str) -> None:
        super().__init__(f"branch {branch!r} failed: {reason}")
        self.branch = branch
        """Name of the branch that failed."""
        self.reason = reason
        """Why: the error, or the timeout."""


class PlanRejected(WorkflowError):
    """The planner's plan was empty, malformed or named an unknown subtask type, and the
    declared policy is "fail"."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"plan rejected: {reason}")
        self.reason = reason
        """What was wrong with the plan."""


class NotDone(WorkflowError):
    """A step under `approval` was refused (no terminal and no `--approve`, or a person's no):
    it did not run and the flow stopped before it, keeping the work so far."""

    def __init__(self, step: str, reason: str, output: Any) -> None:
        super().__init__(f"not done: {step} {reason}")
        self.step = step
        """The step that did not run."""
        self.reason = reason
        """Why, and how to allow it."""
        self.output = output
        """The work so far: the refused step's input (e.g. the drafted reply)."""
