"""What the vote, refine and agent steps return, apart from the steps themselves.

The command line unwraps these results after every run; keeping them here lets it do so
without importing the patterns that a project does not use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel

if TYPE_CHECKING:
    from .step import Message

UNCERTAIN: Final = "UNCERTAIN"
"""The answer when no output reaches the threshold: a refusal to guess."""


def show(output: Any) -> str:
    """An output as text: a response model as indented JSON, anything else as str()."""
    return output.model_dump_json(indent=2) if isinstance(output, BaseModel) else str(output)


@dataclass(frozen=True)
class VoteResult:
    """The majority answer (or UNCERTAIN) and how strongly the votes agreed."""

    answer: Any
    """The winning output, or UNCERTAIN below the threshold or on a tie."""
    agreement: float
    """Votes for the leading answer divided by n (failed votes count against it)."""
    votes: int
    """Votes for the leading answer."""
    n: int
    """Votes asked for."""
    tally: dict[str, int]
    """Votes per distinct answer key, most first."""

    @property
    def uncertain(self) -> bool:
        """True when the threshold was not met."""
        return self.answer is UNCERTAIN

    def __str__(self) -> str:
        return str(self.answer)


@dataclass(frozen=True)
class Refined:
    """The refine result: the approved draft, or the best one when the cap was hit."""

    output: Any
    """The approved draft, else the best draft so far."""
    approved: bool
    """Whether the evaluator approved `output`."""
    rounds: int
    """Evaluations made."""
    stopped_by: str | None
    """The cap that ended the loop unapproved, e.g. "max_rounds=3 (would reach 4)"."""
    feedback: str = ""
    """The evaluator's last feedback."""

    def __str__(self) -> str:
        return show(self.output)


@dataclass
class AgentResult:
    """The agent's final answer, or its last words when max_steps stopped it."""

    output: Any
    """The final answer (text or response model), else the last reply text (maybe empty)."""
    steps: int
    """Model turns taken."""
    stopped_by: str | None
    """The cap that ended the loop without an answer, e.g. "max_steps=8 (would reach 9)"."""
    tool_calls: int = 0
    """Tool calls made."""
    messages: list[Message] = field(default_factory=list)
    """The whole conversation, tool calls and results included."""

    def __str__(self) -> str:
        return "" if self.output is None else show(self.output)
