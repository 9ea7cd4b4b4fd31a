"""What the advisor says about each pattern: when it fits, when not, how it fails, its drawing.

The runtime's catalog (`runtime/catalog.py`) holds the facts a generated project needs (rung,
call formula, cost multipliers); this module adds the prose only the advisor shows, and
`PATTERNS` here is the full picture (`wfadvise patterns`, the recommendation's display).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from runtime import catalog
from runtime.catalog import PatternInfo
from runtime.plan import PatternId


class PatternProse(BaseModel):
    """The advisor's words for one pattern (joined to the runtime's facts in PatternGuide)."""

    model_config = ConfigDict(frozen=True)

    title: str
    """Human name."""
    summary: str
    """One line: what it is."""
    when: tuple[str, ...]
    """Task shapes it fits."""
    when_not: tuple[str, ...]
    """Task shapes it does not fit (and what to use instead)."""
    critical_path: str
    """Sequential calls a request waits for (what drives latency)."""
    failure_modes: tuple[str, ...]
    """Typical ways it goes wrong in production."""
    diagram: str
    """A small ASCII drawing of the topology."""


class PatternGuide(PatternProse, PatternInfo):
    """Everything the advisor says about one pattern of the ladder: facts and prose."""


class _Prose(PatternProse):
    """The prose of the pattern `id`."""

    id: PatternId


_PROSE: tuple[_Prose, ...] = (
    _Prose(
        id="single-call",
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
        critical_path="1",
        failure_modes=(
            "prompt overload: one prompt asked to do several jobs does each a little worse",
        ),
        diagram="input ─▶ [model] ─▶ output",
    ),
    _Prose(
        id="prompt-chaining",
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
        critical_path="N (every step waits for the previous one)",
        failure_modes=(
            "errors compound: a weak early step poisons every later one",
            "latency adds up step by step",
        ),
        diagram="input ─▶ [step 1] ─▶ gate ─▶ [step 2] ─▶ … ─▶ output",
    ),
    _Prose(
        id="routing",
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
        critical_path="1 + the handler's critical path",
        failure_modes=(
            "misrouting: a wrong label sends the input to the wrong handler",
            "labels outside the allowed set (handled by a declared fallback)",
        ),
        diagram="input ─▶ [classify] ─┬─▶ [handler A]\n"
        "                     ├─▶ [handler B]\n"
        "                     └─▶ [fallback]",
    ),
    _Prose(
        id="parallel-sectioning",
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
        critical_path="the slowest branch (+1 merge)",
        failure_modes=(
            "a slow or failed branch holds the merge hostage (hence per-branch timeouts)",
            "a merge step that drops or contradicts a branch's findings",
        ),
        diagram="       ┌─▶ [branch A] ─┐\n"
        "input ─┼─▶ [branch B] ─┼─▶ [merge] ─▶ output\n"
        "       └─▶ [branch C] ─┘",
    ),
    _Prose(
        id="parallel-voting",
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
        critical_path="the task's critical path (the votes run at once)",
        failure_modes=(
            "systematic errors that voting cannot fix: a shared blind spot wins every vote",
            "n times the cost for no gain when answers never disagree",
        ),
        diagram="       ┌─▶ [task] ─┐\n"
        "input ─┼─▶ [task] ─┼─▶ majority ≥ threshold ─▶ answer | UNCERTAIN\n"
        "       └─▶ [task] ─┘",
    ),
    _Prose(
        id="orchestrator-workers",
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
        critical_path="plan + the slowest worker + synthesize (with `dependencies`: the slowest "
        "worker of each wave, one wave after another)",
        failure_modes=(
            "plan omissions: the planner forgets a subtask and nothing notices",
            "subtask types outside the known workers (handled by a declared policy)",
            "plans that explode in size (capped by max_workers)",
            "with dependencies, a plan that is not a DAG (an unknown id, a cycle): sent back to "
            "the planner with the problem named",
        ),
        diagram="input ─▶ [plan] ─┬─▶ [worker: type A] ─┐\n"
        "                 ├─▶ [worker: type B] ─┼─▶ [synthesize] ─▶ output\n"
        "                 └─▶ [worker: type A] ─┘",
    ),
    _Prose(
        id="evaluator-optimizer",
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
        critical_path="the same as the calls: every round waits for the last",
        failure_modes=(
            "runaway loops when nothing caps the rounds (ours always has max_rounds)",
            "an evaluator that never approves, or approves everything",
            "revisions that fix one criterion and break another",
        ),
        diagram="input ─▶ [generate] ─▶ [evaluate] ─▶ approved? ─yes─▶ output\n"
        "              ▲                           │ no (round < max_rounds)\n"
        "              └──── feedback ─────────────┘",
    ),
    _Prose(
        id="agent-loop",
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
        critical_path="every step, one after another",
        failure_modes=(
            "runaway loops and repeated tool calls (capped by max_steps and the budget)",
            "unpredictable paths that are hard to test and audit",
            "prompt size growing with every step, so cost grows faster than the step count",
        ),
        diagram="input ─▶ [model] ─▶ tool call? ─yes─▶ [tool]\n"
        "            ▲           │ no               │\n"
        "            │           ▼                  │\n"
        "            │        output                │\n"
        "            └──── tool result (step < max_steps)",
    ),
)

PATTERNS: dict[PatternId, PatternGuide] = {
    p.id: PatternGuide(**catalog.PATTERNS[p.id].model_dump(), **p.model_dump(exclude={"id"}))
    for p in _PROSE
}
"""Every pattern by id, in ladder order, facts and prose together."""


def ladder() -> list[PatternGuide]:
    """Every pattern, bottom rung first."""
    return [PATTERNS[p.id] for p in catalog.ladder()]
