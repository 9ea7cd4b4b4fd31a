"""The pattern catalog as data: the one place the ladder's facts, step kinds and defaults live.

The advisor's diagnosis, the estimate and the templates read these tables; a generated project
carries this module so its own estimate uses the same numbers. Nothing else restates them. What
the advisor says about each pattern (when, when not, failure modes, diagrams) is in
`advisor/pattern_guide.py`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .plan import PATTERN_IDS, Node, PatternId

StepKind = Literal[
    "classify", "validate", "generate", "vote", "evaluate", "plan", "synthesize", "merge", "agent"
]


class CostMultiplier(BaseModel):
    """A published rule of thumb for how much more a pattern costs than a plain chat."""

    model_config = ConfigDict(frozen=True)

    factor: float
    """How many times the tokens of the baseline."""
    applies_to: str
    """What the figure is about, e.g. "a single agent"."""
    baseline: str
    """What it is compared with."""
    source_kind: str
    """Where such a figure comes from (practitioner estimates, not your measurements)."""


class PatternInfo(BaseModel):
    """What the runtime needs about one pattern of the ladder (its prose is the advisor's:
    `advisor/pattern_guide.py`)."""

    model_config = ConfigDict(frozen=True)

    id: PatternId
    """The pattern id used in answers, recommendations and plans."""
    rung: int
    """Position on the escalation ladder; climb only when the rung below cannot do the task."""
    calls: str
    """Model calls per request as a formula of the pattern's parameters."""
    multipliers: tuple[CostMultiplier, ...] = ()
    """Published cost multipliers, where they exist."""


class StepKindInfo(BaseModel):
    """Sizes and model choice for one kind of model step."""

    model_config = ConfigDict(frozen=True)

    kind: StepKind
    """The kind's name."""
    typical_output_tokens: int
    """Completion tokens such a step usually produces, for expected costs."""
    max_tokens: int
    """Default completion-token cap written into settings (and reserved by the budget)."""
    small_model: bool
    """Whether a small, cheap model is usually good enough for this kind."""


class Defaults(BaseModel):
    """Caps every loop gets unless the user sets them, and typical loop lengths for estimates."""

    model_config = ConfigDict(frozen=True)

    max_rounds: int = 3
    """Evaluator-optimizer: critique-and-revise rounds at most."""
    expected_rounds: float = 1.5
    """Evaluator-optimizer: rounds a request typically takes (approved at the second look)."""
    max_workers: int = 5
    """Orchestrator-workers: subtasks run at most per request."""
    expected_workers: float = 3.0
    """Orchestrator-workers: subtasks a plan typically holds."""
    expected_waves: float = 2.0
    """Orchestrator-workers with dependencies: waves (dependency levels) a plan typically has;
    a request waits for about one worker call per wave."""
    max_steps: int = 10
    """Agent loop: model turns at most."""
    expected_steps: float = 5.0
    """Agent loop: model turns a request typically takes."""
    votes: int = 5
    """Parallel voting: how many times the task runs."""
    vote_threshold: float = 0.6
    """Parallel voting: share of votes the winner needs; below it the answer is UNCERTAIN."""
    branch_timeout_s: float | None = None
    """Parallel sectioning and maps: seconds a branch or item may take before it is cut short;
    None (the default) sets no limit of its own. A branch is already bounded by what it does:
    each model call by the settings' `timeout_s` (and its retries), each loop inside it
    (refine rounds, agent steps) by its cap. A fixed default cut a map item whose refine loop
    needed several slow calls, losing paid work; set a number only as a latency target."""
    concurrency: int = 8
    """Parallel sectioning: branches in flight at once."""
    max_items: int = 8
    """A map over items (`each`): items run at most per request; the rest are dropped."""
    expected_items: float = 4.0
    """A map over items (`each`): items an input typically splits into."""
    cascade_threshold: float = 0.7
    """A cascade: the confidence below which the cheap model's answer goes to the strong one."""
    expected_escalation: float = 0.3
    """A cascade: the share of answers expected to escalate (traces replace it)."""
    max_calls_factor: int = 2
    """Run-wide call cap = worst designed calls x this, leaving room for retries and repairs."""
    default_model: str = "openai/gpt-4o-mini"
    """Model for every step unless the user names one."""
    small_model: str = "openai/gpt-4o-mini"
    """Model for classify / validate / evaluate steps unless the user names one."""
    whiteboard_depth: int = 3
    """Deeper nesting than this cannot be drawn on one whiteboard: the advisor warns."""
    whiteboard_steps: int = 12
    """More model steps than this cannot be drawn on one whiteboard: the advisor warns."""


DEFAULTS = Defaults()

_AGENT_X = CostMultiplier(
    factor=4,
    applies_to="a single agent",
    baseline="a chat interaction",
    source_kind="practitioner estimate (Anthropic engineering blog on its research system, 2025)",
)
_MULTI_AGENT_X = CostMultiplier(
    factor=15,
    applies_to="a multi-agent system",
    baseline="a chat interaction",
    source_kind="practitioner estimate (Anthropic engineering blog on its research system, 2025)",
)
_REFLEXION_X = CostMultiplier(
    factor=50,
    applies_to="an unconstrained reflexion (self-critique) loop",
    baseline="a single call",
    source_kind="practitioner estimate (reports from teams running uncapped critique loops)",
)

_PATTERN_LIST: tuple[PatternInfo, ...] = (
    PatternInfo(
        id="single-call",
        rung=0,
        calls="1",
    ),
    PatternInfo(
        id="prompt-chaining",
        rung=1,
        calls="N steps",
    ),
    PatternInfo(
        id="routing",
        rung=2,
        calls="1 classify + the chosen handler's calls",
    ),
    PatternInfo(
        id="parallel-sectioning",
        rung=3,
        calls="N branches (+1 if a model merges)",
    ),
    PatternInfo(
        id="parallel-voting",
        rung=3,
        calls="n votes x the task's calls",
    ),
    PatternInfo(
        id="orchestrator-workers",
        rung=4,
        calls="1 plan + N workers (N <= max_workers) + 1 synthesize",
    ),
    PatternInfo(
        id="evaluator-optimizer",
        rung=5,
        calls="rounds x (G + 1 evaluate) for a generator of G calls (a draft and its "
        "evaluation per round); 2 x rounds for a single call",
        multipliers=(_REFLEXION_X,),
    ),
    PatternInfo(
        id="agent-loop",
        rung=6,
        calls="steps (<= max_steps), each with the growing conversation as its prompt",
        multipliers=(_AGENT_X, _MULTI_AGENT_X),
    ),
)

PATTERNS: dict[PatternId, PatternInfo] = {info.id: info for info in _PATTERN_LIST}
"""Every pattern by id, in ladder order."""

STEP_KINDS: dict[StepKind, StepKindInfo] = {
    info.kind: info
    for info in (
        StepKindInfo(kind="classify", typical_output_tokens=20, max_tokens=100, small_model=True),
        StepKindInfo(kind="validate", typical_output_tokens=80, max_tokens=300, small_model=True),
        StepKindInfo(
            kind="generate", typical_output_tokens=500, max_tokens=1200, small_model=False
        ),
        StepKindInfo(kind="vote", typical_output_tokens=60, max_tokens=300, small_model=False),
        StepKindInfo(kind="evaluate", typical_output_tokens=200, max_tokens=600, small_model=True),
        StepKindInfo(kind="plan", typical_output_tokens=300, max_tokens=1000, small_model=False),
        StepKindInfo(
            kind="synthesize", typical_output_tokens=600, max_tokens=1500, small_model=False
        ),
        StepKindInfo(kind="merge", typical_output_tokens=600, max_tokens=1500, small_model=False),
        StepKindInfo(kind="agent", typical_output_tokens=250, max_tokens=1000, small_model=False),
    )
}
"""Every step kind by name."""

# A leaf step whose name says (by a whole word) it checks something, and has no role, is a
# validate step: short output, small model. `investigate` and `aggregate` generate.
_VALIDATE_WORDS = ("validate", "check", "verify", "gate", "classify", "detect", "moderate", "grade")

# The steps a pattern's node owns itself, by position (names may be renamed to stay unique).
_OWN_STEP_KINDS: dict[str, tuple[StepKind, ...]] = {
    "routing": ("classify",),
    "parallel-sectioning": ("merge",),
    "orchestrator-workers": ("plan", "synthesize"),
    "evaluator-optimizer": ("evaluate",),
}


def rung(pattern: PatternId) -> int:
    """The ladder rung of a pattern."""
    return PATTERNS[pattern].rung


def ladder() -> list[PatternInfo]:
    """Every pattern, lowest rung first."""
    return [PATTERNS[p] for p in PATTERN_IDS]


def step_kind(node: Node, step: str, *, parent: Node | None = None) -> StepKind:
    """The kind of a model step owned by `node` (pass the parent to recognise a voted task)."""
    if step not in node.steps:
        raise KeyError(f"{step!r} is not a step of node {node.name!r}")
    if node.pattern == "agent-loop":
        return "agent"
    if node.pattern == "routing" and node.params.get("by") == "cascade":
        return "evaluate"  # a cascade's confidence check judges the cheap answer
    if node.pattern in _OWN_STEP_KINDS:
        kinds = _OWN_STEP_KINDS[node.pattern]
        index = node.steps.index(step)
        return kinds[index] if index < len(kinds) else "generate"
    role = node.params.get("role")
    if node.pattern == "evaluator-optimizer" or role == "check":
        return "evaluate"  # a check answers with a verdict, like an evaluator
    if parent is not None and parent.pattern == "parallel-voting":
        return "vote"
    if role == "classify":
        return "classify"
    if role in ("generate", "extract", "transform"):
        return "generate"
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", step).lower())
    return "validate" if any(word in _VALIDATE_WORDS for word in words) else "generate"


def step_kinds(plan: Node) -> dict[str, StepKind]:
    """The kind of every model step in a plan, keyed by step name."""
    kinds: dict[str, StepKind] = {}

    def visit(node: Node, parent: Node | None) -> None:
        for step in node.steps:
            kinds[step] = step_kind(node, step, parent=parent)
        for child in node.children:
            visit(child, node)

    visit(plan, None)
    return kinds
