"""The pattern catalog as data: the one place the ladder's facts, step kinds and defaults live.

The advisor's diagnosis, the interview, `wfadvise patterns`, the estimate and the templates all
read these tables; a generated project carries this module so its own estimate uses the same
numbers. Nothing else restates them.
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
    """Everything the advisor says about one pattern of the ladder."""

    model_config = ConfigDict(frozen=True)

    id: PatternId
    """The pattern id used in answers, recommendations and plans."""
    rung: int
    """Position on the escalation ladder; climb only when the rung below cannot do the task."""
    title: str
    """Human name."""
    summary: str
    """One line: what it is."""
    when: tuple[str, ...]
    """Task shapes it fits."""
    when_not: tuple[str, ...]
    """Task shapes it does not fit (and what to use instead)."""
    calls: str
    """Model calls per request as a formula of the pattern's parameters."""
    critical_path: str
    """Sequential calls a request waits for (what drives latency)."""
    failure_modes: tuple[str, ...]
    """Typical ways it goes wrong in production."""
    multipliers: tuple[CostMultiplier, ...] = ()
    """Published cost multipliers, where they exist."""
    diagram: str
    """A small ASCII drawing of the topology."""


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
    max_steps: int = 10
    """Agent loop: model turns at most."""
    expected_steps: float = 5.0
    """Agent loop: model turns a request typically takes."""
    votes: int = 5
    """Parallel voting: how many times the task runs."""
    vote_threshold: float = 0.6
    """Parallel voting: share of votes the winner needs; below it the answer is UNCERTAIN."""
    branch_timeout_s: float = 60.0
    """Parallel sectioning: seconds a branch may take before it is dropped."""
    concurrency: int = 8
    """Parallel sectioning: branches in flight at once."""
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
        title="Single call",
        summary="One well-prompted model call does the whole task; no workflow at all.",
        when=(
            "one step does it: a prompt with the right context and examples",
            "you have not yet shown that one call is not enough",
        ),
        when_not=(
            "the task has distinct steps with checks between them (prompt-chaining)",
            "different inputs need different handling (routing)",
        ),
        calls="1",
        critical_path="1",
        failure_modes=(
            "prompt overload: one prompt asked to do several jobs does each a little worse",
        ),
        diagram="input ─▶ [model] ─▶ output",
    ),
    PatternInfo(
        id="prompt-chaining",
        rung=1,
        title="Prompt chaining",
        summary="A fixed sequence of calls, each working on the last one's output, "
        "with code gates between them.",
        when=(
            "the task splits cleanly into fixed steps (outline, draft, polish; extract, translate)",
            "a check between steps can stop a bad run early",
        ),
        when_not=(
            "one call does it (single-call)",
            "the steps depend on the input (orchestrator-workers or agent-loop)",
        ),
        calls="N steps",
        critical_path="N (every step waits for the previous one)",
        failure_modes=(
            "errors compound: a weak early step poisons every later one",
            "latency adds up step by step",
        ),
        diagram="input ─▶ [step 1] ─▶ gate ─▶ [step 2] ─▶ … ─▶ output",
    ),
    PatternInfo(
        id="routing",
        rung=2,
        title="Routing",
        summary="A classifier sends each input to the handler (or the model) made for its kind.",
        when=(
            "inputs fall into kinds that are better handled separately",
            "many easy inputs and some hard ones: send easy ones to a cheap model",
        ),
        when_not=(
            "one prompt handles every kind well (single-call)",
            "the kinds overlap so much that a classifier cannot tell them apart",
        ),
        calls="1 classify + the chosen handler's calls",
        critical_path="1 + the handler's critical path",
        failure_modes=(
            "misrouting: a wrong label sends the input to the wrong handler",
            "labels outside the allowed set (handled by a declared fallback)",
        ),
        diagram="input ─▶ [classify] ─┬─▶ [handler A]\n"
        "                     ├─▶ [handler B]\n"
        "                     └─▶ [fallback]",
    ),
    PatternInfo(
        id="parallel-sectioning",
        rung=3,
        title="Parallel sectioning",
        summary="Independent subtasks run at once and are merged: "
        "same calls as a chain, a fraction of the wait.",
        when=(
            "subtasks do not need each other's results (review for accuracy, tone, compliance)",
            "a guardrail check can run beside the generation step",
        ),
        when_not=(
            "a subtask needs another's output (prompt-chaining)",
            "the subtasks themselves depend on the input (orchestrator-workers)",
        ),
        calls="N branches (+1 if a model merges)",
        critical_path="the slowest branch (+1 merge)",
        failure_modes=(
            "a slow or failed branch holds the merge hostage (hence per-branch timeouts)",
            "a merge step that drops or contradicts a branch's findings",
        ),
        diagram="       ┌─▶ [branch A] ─┐\n"
        "input ─┼─▶ [branch B] ─┼─▶ [merge] ─▶ output\n"
        "       └─▶ [branch C] ─┘",
    ),
    PatternInfo(
        id="parallel-voting",
        rung=3,
        title="Parallel voting",
        summary="The same task runs n times; a majority above a threshold wins, "
        "otherwise the answer is UNCERTAIN.",
        when=(
            "you need confidence in a short verdict (is this content harmful? is this code "
            "vulnerable?)",
            "the model's errors are random: sometimes right, sometimes wrong on the same input",
        ),
        when_not=(
            "errors are systematic: n votes repeat the same mistake n times",
            "the output is long free text with no answer to compare",
        ),
        calls="n votes x the task's calls",
        critical_path="the task's critical path (the votes run at once)",
        failure_modes=(
            "systematic errors that voting cannot fix: a shared blind spot wins every vote",
            "n times the cost for no gain when answers never disagree",
        ),
        diagram="       ┌─▶ [task] ─┐\n"
        "input ─┼─▶ [task] ─┼─▶ majority ≥ threshold ─▶ answer | UNCERTAIN\n"
        "       └─▶ [task] ─┘",
    ),
    PatternInfo(
        id="orchestrator-workers",
        rung=4,
        title="Orchestrator-workers",
        summary="A planner splits each input into typed subtasks, workers do them in parallel, "
        "a synthesis step joins them.",
        when=(
            "the number and kind of subtasks depend on the input (which files a change touches)",
            "you can still name the kinds of worker in advance",
        ),
        when_not=(
            "the subtasks are the same for every input (parallel-sectioning)",
            "not even the kinds of step are known before the run (agent-loop)",
        ),
        calls="1 plan + N workers (N <= max_workers) + 1 synthesize",
        critical_path="plan + the slowest worker + synthesize",
        failure_modes=(
            "plan omissions: the planner forgets a subtask and nothing notices",
            "subtask types outside the known workers (handled by a declared policy)",
            "plans that explode in size (capped by max_workers)",
        ),
        diagram="input ─▶ [plan] ─┬─▶ [worker: type A] ─┐\n"
        "                 ├─▶ [worker: type B] ─┼─▶ [synthesize] ─▶ output\n"
        "                 └─▶ [worker: type A] ─┘",
    ),
    PatternInfo(
        id="evaluator-optimizer",
        rung=5,
        title="Evaluator-optimizer",
        summary="A generator drafts, an evaluator critiques against clear criteria, "
        "the generator revises, up to max_rounds.",
        when=(
            "output measurably improves with feedback (literary translation, code that must "
            "pass tests)",
            "you can state the criteria an evaluator checks",
        ),
        when_not=(
            "no clear criteria: the critique becomes noise and the loop burns calls",
            "the first draft is usually good enough",
        ),
        calls="rounds x (G + 1 evaluate) for a generator of G calls (a draft and its "
        "evaluation per round); 2 x rounds for a single call",
        critical_path="the same as the calls: every round waits for the last",
        failure_modes=(
            "runaway loops when nothing caps the rounds (ours always has max_rounds)",
            "an evaluator that never approves, or approves everything",
            "revisions that fix one criterion and break another",
        ),
        multipliers=(_REFLEXION_X,),
        diagram="input ─▶ [generate] ─▶ [evaluate] ─▶ approved? ─yes─▶ output\n"
        "              ▲                           │ no (round < max_rounds)\n"
        "              └──── feedback ─────────────┘",
    ),
    PatternInfo(
        id="agent-loop",
        rung=6,
        title="Agent loop",
        summary="The model chooses tools in a loop until it is done, "
        "up to max_steps: the path is decided at run time.",
        when=(
            "nobody can draw the steps before the run (open-ended research, debugging)",
            "the model needs tools to act on what it finds",
        ),
        when_not=(
            "a person can draw the flow in advance: a workflow is cheaper, faster, auditable",
            "there are no tools: without them an agent is a chat with extra steps",
        ),
        calls="steps (<= max_steps), each with the growing conversation as its prompt",
        critical_path="every step, one after another",
        failure_modes=(
            "runaway loops and repeated tool calls (capped by max_steps and the budget)",
            "unpredictable paths that are hard to test and audit",
            "prompt size growing with every step, so cost grows faster than the step count",
        ),
        multipliers=(_AGENT_X, _MULTI_AGENT_X),
        diagram="input ─▶ [model] ─▶ tool call? ─yes─▶ [tool]\n"
        "            ▲           │ no               │\n"
        "            │           ▼                  │\n"
        "            │        output                │\n"
        "            └──── tool result (step < max_steps)",
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
