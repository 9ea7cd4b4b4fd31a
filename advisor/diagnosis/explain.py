"""Why each part of a composition is there, read from the finished tree in the user's words."""

from __future__ import annotations

import re

from runtime.caps import MAX_REPAIRS
from runtime.catalog import DEFAULTS
from runtime.plan import CODE, Node

from ..answers import Answers
from ..calls import count_calls
from ..cascade_names import confidence_fn
from ..identifiers import unique_identifiers
from ..recommendation import conversation_settings
from .advice import tools_in_use
from .approvals import approval_reasons
from .tree import FALLBACK_NAMES


def reasons(answers: Answers, tree: Node) -> list[str]:
    """One reason per decision in `tree`, outermost first, each naming the user's steps."""
    out: list[str] = []
    _visit(answers, tree, out)
    if tree.pattern == "evaluator-optimizer" and out:  # the loop wraps all there is
        out[0] = out[0].replace(" only (not the steps around it)", "")
    if tree.pattern == "single-call":
        out.append(
            f"Your task is one step ({tree.name}) with nothing around it, so one "
            "well-prompted call does it; climb the ladder only if that falls short."
        )
    used = tools_in_use(answers, tree)
    if used and answers.flow == "known":  # a tool no step is named for is warned about instead
        out.append(
            f"Your code calls your tools ({', '.join(used)}) at fixed points of the "
            "workflow (the steps named for them), so no agent is needed to choose them."
        )
    if answers.conversation:
        out.append(conversation_reason(answers))
    out += approval_reasons(tree)
    return list(dict.fromkeys(out))


def conversation_reason(answers: Answers) -> str:
    """What a conversation adds around one turn's workflow, in the user's words."""
    conv = conversation_settings(answers)
    return (
        "Your task is a conversation, so the workflow above is one turn, run once per message "
        "inside a stored session (`chat`): after each reply one short call updates what the "
        "session knows (your goal, the facts, the decisions, the phase), and every "
        f"{conv.summarize_after} turns one more call folds the turns so far into a summary. "
        f"A reply sees that summary, the state and the last {conv.keep_turns} turns word for "
        "word (never the whole history, so a turn's cost stops growing); "
        "`chat --session ID` picks a session up again, in another process too."
    )


def _visit(answers: Answers, node: Node, out: list[str], prefix: str = "") -> None:
    text = _reason(answers, node)
    if text:
        out.append(_unprefixed(text, prefix))
    for child in node.children:
        inner = f"{child.name}_" if node.pattern == "routing" else prefix
        _visit(answers, child, out, inner)


def _unprefixed(text: str, prefix: str) -> str:
    """A category's or tier's copy of a step, named as the user named it."""
    if not prefix:
        return text
    return re.sub(rf"\b{re.escape(prefix)}", "", text)


def _names(node: Node) -> str:
    return ", ".join(_label(c) for c in node.children)


def _label(node: Node) -> str:
    """What a user calls a node: its step name, or the name of the step it wraps."""
    if node.pattern in ("single-call", CODE):
        return node.name
    if node.params.get("each") and node.children:  # a map over items
        return f"{_label(node.children[0])} per {node.params['each']}"
    if node.pattern == "parallel-sectioning" and node.params.get("role") != "guard":
        return f"({_names(node)} at once)"  # a stage: its steps, never its internal name
    if node.params.get("role") == "check" and node.children:  # a check looping its step
        return f"{_label(node.children[0])} -> {node.name}"
    wrapper = node.pattern in ("parallel-voting", "evaluator-optimizer")
    if (wrapper or node.params.get("role") == "guard") and node.children:
        return _label(node.children[0])
    return node.name


def _reason(answers: Answers, node: Node) -> str | None:
    p = node.params
    if node.pattern == "prompt-chaining":
        order = " -> ".join(_label(c) for c in node.children)
        text = (
            f"Your steps ({order}) always run in the same order, so a prompt chain runs them "
            "one after another, each on the artifact as it stands."
        )
        shaping = [c.name for c in node.children if c.params.get("role") == "transform"]
        if shaping:
            text += (
                f" {shaping[0]} rewrites it: its output replaces the artifact."
                if len(shaping) == 1
                else f" {', '.join(shaping[:-1])} and {shaping[-1]} rewrite it: each one's output"
                " replaces the artifact."
            )
        return text
    if p.get("role") == "check" and p.get("checks"):
        return _check_reason(node)
    if node.pattern == "parallel-sectioning" and p.get("role") == "guard":
        rails = ", ".join(c.name for c in node.children[1:])
        return (
            f"Your guardrails ({rails}) run beside {p.get('guard')} at the same time and can "
            "veto its output before any later step runs: no extra wait, one call per model "
            "guardrail."
        )
    if node.pattern == "parallel-sectioning" and p.get("each"):
        item, step = str(p["each"]), _label(node.children[0])
        return (
            f"{step} works on one {item} at a time, so code splits the input into {item}s "
            f"(by default paragraphs, else ~2,000-character pieces; edit {_splitter(item)} "
            f"to change that) and {step} runs once per {item}, all at the same time, at most "
            f"{p.get('max_items')} of them; the results go on joined, in order, to the next "
            f"step. No planning call: about {float(str(p.get('expected_items'))):g} calls a "
            "request."
        )
    if node.pattern == "parallel-sectioning":
        merged = "a merge call joins them" if node.steps else "code joins them"
        if p.get("role") == "check":
            merged = "the artifact goes on only if every one passes"
        return (
            f"Your subtasks ({_names(node)}) need none of each other's results, so they run at "
            f"the same time and {merged}: the same calls as in a row, less wait."
        )
    if node.pattern == "parallel-voting":
        n, t = p.get("n", DEFAULTS.votes), p.get("threshold", DEFAULTS.vote_threshold)
        what = _label(node.children[0])
        return (
            f"You want extra confidence and the model's mistakes vary from run to run, so "
            f"{what} runs {n} times and a majority of at least {float(str(t)):.0%} wins (below "
            "it the answer is UNCERTAIN); the steps around it run once."
        )
    if node.pattern == "evaluator-optimizer":
        return _refine_reason(answers, node)
    if node.pattern == "routing":
        return _route_reason(answers, node)
    if node.pattern == "orchestrator-workers":
        text = (
            "Which subtasks a request needs, and how many, depends on the input, so a planner "
            f"splits each request for workers (at most {p.get('max_workers')}) and a last call "
            "combines their results."
        )
        if answers.category_names:
            text += f" Your kinds of work ({_names(node)}) become the workers it can assign."
        if p.get("dependencies"):
            text += " " + _waves_reason(node)
        return text
    if node.pattern == "agent-loop":
        return _agent_reason(answers, node)
    return None


def _waves_reason(node: Node) -> str:
    waves = float(str(node.params.get("expected_waves", DEFAULTS.expected_waves)))
    return (
        "Some subtasks need others' results, so the plan says which each one depends on and "
        "they run in waves: every subtask whose inputs are ready runs at the same time, and "
        "each worker gets the results it depends on. A request waits about one worker call per "
        f"wave (~{waves:g} waves), not one per subtask. A plan whose dependencies name a "
        f"missing subtask or go round in a circle goes back to the planner to fix, at most "
        f"{MAX_REPAIRS} times."
    )


def _check_reason(node: Node) -> str:
    p = node.params
    target = p.get("checks")
    who = (
        "a function you fill in (checks.py), no model call" if p.get("by") == "code" else "one call"
    )
    if target == "input":
        return f"{node.name} judges the input before anything runs ({who}); a fail stops the run."
    if p.get("on_fail") == "revise":
        rounds = int(str(p.get("max_rounds", DEFAULTS.max_rounds)))
        return (
            f"{node.name} judges {target}'s output ({who}); on a fail {target} runs again with "
            f"its feedback, at most {rounds} rounds, and the artifact goes on unchanged by the "
            "check."
        )
    return (
        f"{node.name} judges {target}'s output ({who}) and passes it on unchanged; on a fail "
        "the run stops with the check's reason."
    )


def _refine_reason(answers: Answers, node: Node) -> str:
    criteria = [str(c) for c in _list(node.params.get("criteria"))]
    rounds = int(str(node.params.get("max_rounds", DEFAULTS.max_rounds)))
    inner = _label(node.children[0])
    own = len(node.steps)
    calls = f"at most {rounds} rounds: at most {rounds * (1 + own)} calls for {inner}"
    if inner == "chain" or inner in ("answer",):
        where = "the output"
    else:
        where = f"{inner} only (not the steps around it)"
    judge = "code checks them (no evaluator call)," if not node.steps else "an evaluator judges,"
    coded = [str(c) for c in _list(node.params.get("code_criteria"))]
    if node.steps and coded:
        judge = f"an evaluator judges (code checks {', '.join(coded)}),"
    return (
        f"The output gets better with critique and you said what to check "
        f"({', '.join(criteria)}), so {judge} and a revision loop wraps {where}, {calls}."
    )


def _route_reason(answers: Answers, node: Node) -> str:
    by = node.params.get("by")
    fb = node.params.get("fallback")
    if by == "cascade" and answers.difficulty is not None:
        return _cascade_reason(answers.difficulty.easy, answers.difficulty.hard, node)
    if by == "difficulty" and answers.difficulty is not None:
        d = answers.difficulty
        return (
            f"Inputs differ in difficulty, so one classify call picks the tier: easy ones run "
            f"on {d.easy}, hard ones on {d.hard} (when unsure: hard)."
        )
    if by == "difficulty":
        return (
            "Most inputs are easy and some are hard, so a classifier sends easy ones to one "
            "call on a small model and hard ones to the full workflow (when unsure: the full "
            "one)."
        )
    labels = ", ".join(answers.category_names)
    if by == "category+difficulty" and answers.difficulty is not None:
        return (
            f"Different kinds of input ({labels}) need different handling and differ in "
            "difficulty, so ONE classify call picks both the kind and the tier "
            f"({answers.difficulty.easy} for easy, {answers.difficulty.hard} for hard); "
            f"anything unclear goes to {fb}."
        )
    own = " with its own pipeline" if answers.category_pipelines else ""
    return (
        f"Different kinds of input ({labels}) need different handling, so one classifier call "
        f"sends each input to its handler{own} (anything unclear goes to {_fallback_note(fb)})."
    )


def _fallback_note(fb: object) -> str:
    """The fallback category, and how to choose another when it is only the last one listed."""
    if str(fb).lower() in FALLBACK_NAMES:
        return f"{fb}, your catch-all"
    names = " or ".join(f"`{n}`" for n in FALLBACK_NAMES[:2])
    return f"{fb}, the last category listed; a category named {names} would take them instead"


def _cascade_reason(easy: str, hard: str, node: Node) -> str:
    p = node.params
    where = "" if node.name == "cascade" else f" (for {node.name})"
    if node.steps:
        judge = f"a short check call ({node.steps[0]}, on {easy}) rates it"
    else:
        fn = confidence_fn(node.name)
        judge = f"a function you fill in rates it (confidence.py: {fn}; no model call)"
    rate = float(str(p.get("expected_escalation", DEFAULTS.expected_escalation)))
    threshold = float(str(p.get("threshold", DEFAULTS.cascade_threshold)))
    calls = count_calls(node)
    return (
        f"Many inputs are easy enough for {easy}, so a cascade{where} lets it answer first, "
        f"{judge}, and only answers below {threshold:g} confidence go on to {hard} (FrugalGPT): "
        f"about {calls.expected:.3g} calls a request if {rate:.0%} escalate, {calls.worst} at "
        "most."
    )


def _agent_reason(answers: Answers, node: Node) -> str:
    steps = node.params.get("max_steps")
    text = (
        "Nobody can draw the steps before the run, so an agent loop lets the model choose "
        f"the next step each time, at most {steps} steps."
    )
    if answers.tools:
        text += f" The agent acts through your tools: {', '.join(answers.tools)}."
    if answers.approval:
        text += (
            f" Before {', '.join(answers.approval)} runs, a person says yes on the terminal "
            "(shown the arguments); with nobody there the call is refused and the model told, "
            "unless you run it with `--approve TOOL`."
        )
    stop = [str(c) for c in _list(node.params.get("stop_when"))]
    if stop:
        text += f" It stops when its answer meets your criteria ({', '.join(stop)})."
    return text


def _splitter(item: str) -> str:
    """The generated function that splits the input into `item`s (as the template names it)."""
    return f"split_{unique_identifiers([item], fallback='item')[item]}"


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
