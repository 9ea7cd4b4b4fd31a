"""Warnings that use the answers and the numbers: what the user should know or fix."""

from __future__ import annotations

from decimal import Decimal

from runtime.catalog import DEFAULTS
from runtime.plan import Node

from ..answers import Answers
from ..calls import CallCount
from ..task_model import name_words
from .approvals import _acts_as, approval_warnings

SIDE_EFFECT_WORDS = frozenset(
    (
        *("send", "delete", "refund", "pay", "book", "create", "update", "write", "post"),
        *("transfer", "deploy", "cancel", "charge", "publish", "remove", "drop", "email"),
    )
)
"""Whole words of a tool name that say it changes something outside the system."""
LATENCY_CALLS = 3
"""Sequential calls beyond which a person who waits feels the workflow."""
MIN_DAILY_SAVING_USD = 1.0
"""A routing split saving less than this a day is not worth a second path to maintain."""


def structural(answers: Answers, tree: Node, calls: CallCount) -> list[str]:
    """Warnings read from the answers and the tree (no prices needed)."""
    out: list[str] = []
    out += _unused(answers)
    out += _criteria(answers, tree)
    out += _voting(answers, tree)
    out += _tools(answers, tree)
    out += _idle_tools(answers, tree)
    out += approval_warnings(answers, tree)
    out += _dependencies(answers)
    out += _not_wired(answers)
    depth, steps = tree.depth(), len(tree.all_steps())
    if depth > DEFAULTS.whiteboard_depth or steps > DEFAULTS.whiteboard_steps:
        out.append(
            f"this composition is {depth} levels deep with {steps} model steps: too much to "
            "draw on one whiteboard — consider splitting it into separate workflows or "
            "dropping a layer"
        )
    if answers.latency_sensitive and calls.critical_path > LATENCY_CALLS:
        out.append(
            f"A person waits for each answer, and a typical request waits for "
            f"{calls.critical_path:g} calls one after another (up to {calls.worst} when every "
            "cap is reached); run independent steps at once, or use a faster model."
            + _fewer_waves(tree)
        )
    return out


def _unused(answers: Answers) -> list[str]:
    out: list[str] = []
    if answers.flow == "known":
        if len(answers.category_names) == 1:
            out.append(
                f"One kind of input ({answers.category_names[0]}) needs no routing; "
                "list at least two kinds of input, or none."
            )
        if len(answers.independent_subtasks) == 1:
            out.append(
                f"One independent subtask ({answers.independent_subtasks[0]}) is just another "
                "step; list at least two to run side by side."
            )
        return out
    if answers.flow == "depends-on-input" and len(answers.category_names) < 2:
        kinds = answers.category_names
        some = f"one kind of worker ({kinds[0]})" if kinds else "no kinds of worker"
        out.append(
            f"The planner has {some} to assign subtasks to (`categories`), so every subtask "
            "goes to the same worker; list two or more kinds of work, or, if the steps can be "
            "listed in advance, say the flow is known."
        )
    who = "the agent" if answers.flow == "unknown" else "the planner"
    keys = ["steps", "independent_subtasks", "needs_confidence"]
    if answers.flow == "unknown":
        keys.insert(1, "categories")
    plain = {
        "steps": "steps",
        "categories": "kinds of input",
        "independent_subtasks": "independent subtasks",
        "needs_confidence": "wish for voting",
    }
    given = [plain[k] for k in keys if getattr(answers, k)]
    if given:
        out.append(
            f"Not used: your {' and '.join(given)}, because {who} decides the path at run "
            "time; if you can list the steps in advance, say the flow is known."
        )
    if answers.flow == "unknown" and not answers.tools:
        out.append(
            "An agent without tools is a chat with extra steps: it acts through tools. List "
            "the tools it may call, or say the steps can be drawn in advance."
        )
    return out


def _criteria(answers: Answers, tree: Node) -> list[str]:
    refine = answers.refinement or answers.refine is not None
    if answers.flow == "unknown":
        return []
    if refine and not answers.criteria:
        return [
            "No evaluator: the output gets better with critique, but nothing says what to "
            "check; name criteria (e.g. faithful, fluent) to add one."
        ]
    if answers.criteria and not refine:
        return [
            f"Your criteria ({', '.join(answers.criteria_names)}) are not checked: you said "
            "the output does not get better with critique; say it does (refinement) to add "
            "an evaluator."
        ]
    return []


def _voting(answers: Answers, tree: Node) -> list[str]:
    wants = answers.needs_confidence or answers.vote is not None
    if wants and not answers.errors_are_random:
        return [
            "No voting: you want extra confidence, but the model errs the same way on the "
            "same input, and voting cannot fix systematic errors (every vote repeats the "
            "mistake); improve the prompt or context, try another model, or add an evaluator."
        ]
    out: list[str] = []
    for node in tree.walk():
        if node.pattern != "parallel-voting":
            continue
        task = node.children[0]
        role = task.params.get("role")
        if task.pattern != "single-call" or role in ("generate", "transform"):
            out.append(
                f"The vote is taken on free text ({task.name}): five drafts rarely match word "
                "for word, so the majority is often UNCERTAIN; vote on a classify or extract "
                "step (`vote: STEP`), or use an evaluator for free text."
            )
        elif role == "classify":
            out.append(
                f"The vote is taken on {task.name}, a classify step with no fixed set of labels "
                "(the answers cannot list them): each vote names the label in its own words, "
                "so the votes rarely agree and the result is often UNCERTAIN. List the labels "
                f"it may answer with in its prompt file ({task.name}), or use `categories` (a "
                "fixed set) to route instead."
            )
    return out


def tools_in_use(answers: Answers, tree: Node) -> list[str]:
    """The tools the generated workflow calls: all of an agent's, else those a step is named
    for (`send_reply`, or `billing_send_reply` in a category's pipeline)."""
    if any(node.pattern == "agent-loop" for node in tree.walk()):
        return list(answers.tools)
    steps = tree.all_steps()
    return [t for t in answers.tools if any(_acts_as(s, [t]) for s in steps)]


def _idle_tools(answers: Answers, tree: Node) -> list[str]:
    """Tools nothing calls: no agent, and no step named for them."""
    used = tools_in_use(answers, tree)  # (an idle approved tool has its own warning)
    idle = [t for t in answers.tools if t not in used and t not in answers.approval]
    if not idle:
        return []
    return [
        f"`tools` lists {', '.join(idle)}, but with `flow: {answers.flow}` no agent calls tools "
        f"and no step is named {idle[0]}: the generated project never calls "
        f"{'it' if len(idle) == 1 else 'them'}. Name the step that performs it {idle[0]}, or "
        "call it from your own code (or drop it from `tools`)."
    ]


def _tools(answers: Answers, tree: Node) -> list[str]:
    risky = [
        t
        for t in tools_in_use(answers, tree)
        if t not in answers.approval and SIDE_EFFECT_WORDS & set(name_words(t))
    ]
    if not risky:
        return []
    return [
        f"{', '.join(risky)} change{'s' if len(risky) == 1 else ''} things outside the system "
        "and run without a person's yes; list "
        f"{'it' if len(risky) == 1 else 'them'} under `approval` unless a wrong call is harmless."
    ]


def usd(amount: float) -> str:
    """Dollars to 4 significant digits, never in exponent notation (`$0.00001`, not `$1e-05`)."""
    return "$" + format(Decimal(f"{amount:.4g}"), "f")


def _fewer_waves(tree: Node) -> str:
    """For a plan with dependencies: what shortens its wait (waves, not workers)."""
    if not any(n.params.get("dependencies") for n in tree.walk()):
        return ""
    return (
        " The planned subtasks wait one call per wave, not per subtask: a plan whose subtasks "
        "need less of each other has fewer waves."
    )


def _dependencies(answers: Answers) -> list[str]:
    if not answers.dependencies or answers.flow == "depends-on-input":
        return []
    return [
        "`dependencies: true` is about planned subtasks (`flow: depends-on-input`); with "
        f"`flow: {answers.flow}` nothing plans subtasks, so it is ignored."
    ]


def _not_wired(answers: Answers) -> list[str]:
    lone = answers.summarize_after is not None and not answers.conversation
    out = (
        ["`summarize_after` acts only on a conversation: add `conversation: true`, or drop it."]
        if lone
        else []
    )
    given: list[str] = []  # every v2 answer is wired now; kept for the next one that is not
    if not given:
        return out
    return [
        *out,
        f"Not yet wired: {', '.join(f'`{k}`' for k in given)} "
        f"{'is' if len(given) == 1 else 'are'} accepted but the generated project does not "
        "act on it yet (planned); the workflow runs without it.",
    ]


def money(
    answers: Answers,
    expected_usd: float | None,
    single_model_usd: float | None,
) -> list[str]:
    """Warnings from the dollar figures: a budget below the expected cost, a split that does
    not pay at the stated volume."""
    out: list[str] = []
    budget = answers.budget_usd_per_request
    if budget is not None and expected_usd is not None and expected_usd > budget:
        out.append(
            f"Your budget of {usd(budget)} per request is below the expected cost "
            f"({usd(expected_usd)}): most runs will stop at the cap; raise it or use a cheaper "
            "model."
        )
    volume = answers.volume_per_day
    if expected_usd is None or single_model_usd is None or volume is None:
        return out
    saving = (single_model_usd - expected_usd) * volume
    if saving < MIN_DAILY_SAVING_USD:
        out.append(
            f"At {volume:,} requests a day the difficulty split saves ${saving:.2f} a day "
            f"({usd(single_model_usd)} per request on the hard model alone, {usd(expected_usd)} "
            "routed): less than it costs to keep two paths; consider one model."
        )
    return out
