"""Overrides and alternatives: the answers rewritten to land on another pattern, and why not."""

from __future__ import annotations

from runtime.catalog import rung
from runtime.plan import PATTERN_IDS, Node, PatternId

from ..answers import Answers
from ..calls import CallCount, count_calls, per_turn
from ..pattern_guide import PATTERNS
from ..recommendation import CallsPerRequest, Rejected, conversation_settings
from .compose import build
from .tree import primary_pattern, uses


def force(answers: Answers, target: PatternId) -> Answers:
    """Answers rewritten so the diagnosis lands on `target` (for overrides and alternatives)."""
    known: dict[str, object] = {
        "flow": "known",
        "refinement": False,
        "needs_confidence": False,
        "refine": None,
        "vote": None,
    }
    steps = answers.step_names
    subtasks = answers.independent_subtasks
    update: dict[str, object]
    if target == "agent-loop":
        update = {"flow": "unknown"}
    elif target == "orchestrator-workers":
        workers = answers.category_names or subtasks or steps
        update = {"flow": "depends-on-input", "refinement": False, "categories": workers}
    elif target == "evaluator-optimizer":
        update = {
            "flow": "known",
            "refinement": True,
            "criteria": answers.criteria_names or ["quality"],
        }
    elif target == "parallel-voting":
        update = {"flow": "known", "refinement": False, "refine": None}
        update |= {"needs_confidence": True, "errors_are_random": True}
    elif target == "parallel-sectioning":
        update = dict(known) | {"difficulty": None, "mixed_difficulty": False}
        if len(subtasks) < 2:
            branches = steps if len(steps) >= 2 else ["part_a", "part_b"]
            update |= {"independent_subtasks": branches, "steps": []}
    elif target == "routing":
        update = dict(known) | {"independent_subtasks": [], "guardrails": [], "guard": None}
        routed = answers.difficulty is not None or len(answers.category_names) >= 2
        update["mixed_difficulty"] = answers.mixed_difficulty or not routed
    else:
        update = dict(known) | {
            "independent_subtasks": [],
            "categories": [],
            "mixed_difficulty": False,
            "difficulty": None,
            "guardrails": [],
            "guard": None,
        }
        if target == "prompt-chaining" and len(steps) < 2:
            update["steps"] = [*(steps or ["draft"]), "review"]
        elif target == "single-call":
            update["steps"] = steps[:1]
    return answers.model_copy(update=update)


def override_warning(answers: Answers, natural: Node, chosen: Node, target: PatternId) -> str:
    was, now = count_calls(natural), count_calls(chosen)
    base = primary_pattern(natural)
    if rung(target) > rung(base):
        risk = PATTERNS[target].failure_modes[0]
        return (
            f"override up the ladder: {target} instead of {base} adds calls "
            f"({now.expected:g} expected vs {was.expected:g}, worst {now.worst} vs {was.worst}) "
            f"and risk ({risk}) that your answers did not call for"
        )
    return (
        f"override down the ladder: {target} instead of {base} drops what your answers asked "
        f"for ({', '.join(uses(natural))}); check it still does the task"
    )


def rejected(
    answers: Answers, tree: Node, now: CallCount, natural: PatternId, override: PatternId | None
) -> list[Rejected]:
    """Every pattern not used, why not, and its calls had it been chosen."""
    used = set(uses(tree))
    top = rung(primary_pattern(tree))
    out = []
    for pattern in PATTERN_IDS:
        if pattern in used:
            continue
        why = _why_not(answers, pattern) if pattern != natural else _overridden(override)
        alt = build(force(answers, pattern)).tree
        alt_calls = count_calls(alt)
        if answers.conversation:  # compared per chat turn, as the recommendation is
            alt_calls = per_turn(alt_calls, conversation_settings(answers).summarize_after)
        if rung(pattern) > top:
            why += _adds(
                pattern,
                alt_calls.expected - now.expected,
                alt_calls.worst - now.worst,
                _cap_text(alt, alt_calls.worst),
            )
        out.append(
            Rejected(
                pattern=pattern,
                why=why,
                calls_per_request=CallsPerRequest(
                    expected=alt_calls.expected,
                    worst=alt_calls.worst,
                    critical_path=alt_calls.critical_path,
                ),
            )
        )
    return out


def _adds(pattern: PatternId, expected: float, worst: int, capped: str) -> str:
    info = PATTERNS[pattern]
    text = f"; it would take {_more(expected)} per request ({_more(worst)} at most)"
    if info.multipliers:
        loose = ", ".join(
            f"~{m.factor:g}x the tokens of {m.baseline} for {m.applies_to}"
            for m in info.multipliers
        )
        text += f"; {capped}; unconstrained, {loose} (practitioner estimates)"
    return text + f"; risk: {info.failure_modes[0]}"


def _cap_text(tree: Node, worst: int) -> str:
    """The caps this configuration would run with, in calls: `capped at 3 rounds: at most 6`."""
    for node in tree.walk():
        if node.pattern == "evaluator-optimizer":
            rounds = node.params.get("max_rounds")
            return f"capped at {rounds} rounds: at most {worst} calls"
        if node.pattern == "agent-loop":
            return f"capped at {node.params.get('max_steps')} steps: at most {worst} calls"
    return f"at most {worst} calls"


def _more(n: float) -> str:
    """`3 more calls`, `1 fewer call`, `no more calls`: a change in calls, in words."""
    size = abs(n)
    if n == 0:
        return "no more calls"
    return f"{size:g} {'more' if n > 0 else 'fewer'} call{'' if size == 1 else 's'}"


def _overridden(override: PatternId | None) -> str:
    return f"What your answers lead to; you picked {override} instead."


def _why_not(answers: Answers, pattern: PatternId) -> str:
    flow = answers.flow
    steps = answers.step_names
    if pattern == "agent-loop":
        drawn = f" ({' -> '.join(steps)})" if steps and flow == "known" else ""
        return (
            f"The steps can be drawn (or planned) before the run{drawn}; an agent would choose "
            "them at run time, which is harder to test and audit"
        )
    if pattern == "orchestrator-workers":
        if flow == "unknown":
            return "Not even the kinds of subtask can be named in advance"
        return (
            "The subtasks are the same for every input, so a planner would only add calls "
            "and the risk of forgetting one"
        )
    if pattern == "evaluator-optimizer":
        if answers.refinement and not answers.criteria_names:
            return "Nothing says what an evaluator should check"
        first = f" of {steps[-1]}" if steps else ""
        return f"The first draft{first} is good enough: you said critique would not improve it"
    if flow != "known":
        return "The steps are decided at run time, not drawn in advance"
    return _why_not_known(answers, pattern)


def _why_not_known(answers: Answers, pattern: PatternId) -> str:
    if pattern == "parallel-voting":
        if answers.needs_confidence:
            return "The model errs the same way on the same input: votes would repeat the mistake"
        return "One answer per input is enough: you did not ask for extra confidence"
    if pattern == "parallel-sectioning":
        if len(answers.step_names) >= 2:
            return (
                f"Each of your steps ({', '.join(answers.step_names)}) works on the one before "
                "it: nothing can run side by side"
            )
        return "No two subtasks are independent of each other: nothing can run side by side"
    if pattern == "routing":
        return "Every input is handled the same way: one kind of input, of similar difficulty"
    if pattern == "prompt-chaining":
        one = f" ({answers.step_names[0]})" if answers.step_names else ""
        return f"Your task is one step{one}: there is no sequence to chain"
    return "One call is not enough: your task needs the parts listed under why"
