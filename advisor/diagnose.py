"""The escalation-ladder diagnosis: answers in, the simplest composition that fits out. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.calls import count_calls
from runtime.catalog import DEFAULTS, PATTERNS, STEP_KINDS, rung, step_kinds
from runtime.plan import PATTERN_IDS, Node, PatternId
from runtime.settings import LimitSettings

from .answers import Answers
from .recommendation import CallsPerRequest, Params, Recommendation, Rejected

_FALLBACK_NAMES = ("general", "other", "default", "misc", "unknown")
_LABEL_PARAMS = ("fallback", "on_unknown")


@dataclass
class _Built:
    """A composition under construction, with the reasons and warnings collected on the way."""

    tree: Node
    """The composition."""
    reasons: list[str] = field(default_factory=list)
    """Why each part is there, tied to an answer."""
    warnings: list[str] = field(default_factory=list)
    """What the user should know."""


def diagnose(answers: Answers, override: PatternId | None = None) -> Recommendation:
    """Recommend the simplest composition for `answers` (or build the `override` pattern)."""
    override = override or answers.override
    natural = _build(answers)
    natural_pattern = primary_pattern(natural.tree)
    built = natural
    if override is not None and override != natural_pattern:
        built = _build(force(answers, override))
        built.reasons.insert(0, f"You picked {override}; your answers lead to {natural_pattern}.")
        built.warnings.append(_override_warning(answers, natural.tree, built.tree, override))
    return _recommend(answers, built, natural_pattern, override)


def primary_pattern(tree: Node) -> PatternId:
    """The highest rung in the tree; on a tie, the outermost pattern."""
    best = tree.pattern
    for node in tree.walk():
        if rung(node.pattern) > rung(best):
            best = node.pattern
    return best


def uses(tree: Node) -> list[PatternId]:
    """Every pattern in the tree, sorted; single-call only when it is the whole tree."""
    found = {node.pattern for node in tree.walk()}
    if found != {"single-call"}:
        found.discard("single-call")
    return sorted(found)


# --- building the composition -------------------------------------------------------------


def _build(answers: Answers) -> _Built:
    if answers.flow == "unknown":
        built = _agent(answers)
    elif answers.flow == "depends-on-input":
        built = _orchestrator(answers)
    else:
        built = _known_flow(answers)
    if answers.mixed_difficulty:
        _route_by_difficulty(built)
    built.tree = _unique_steps(built.tree)
    if built.tree.pattern == "single-call":
        built.reasons.append(
            f"Your task is one step ({built.tree.name}) with nothing around it, so one "
            "well-prompted call does it; climb the ladder only if that falls short."
        )
    _whiteboard_check(built)
    _latency_check(answers, built)
    return built


def _known_flow(answers: Answers) -> _Built:
    built = _Built(tree=_body(answers))
    _explain_body(answers, built)
    if answers.tools:
        built.reasons.append(
            f"Your code calls your tools ({', '.join(answers.tools)}) at fixed points of the "
            "workflow, so no agent is needed to choose them."
        )
    if answers.needs_confidence:
        _vote(answers, built)
    _refine(answers, built)
    if len(answers.category_names) >= 2:
        _route_by_category(answers, built)
    elif answers.category_names:
        built.warnings.append(
            f"One kind of input ({answers.category_names[0]}) needs no routing; "
            "list at least two kinds of input, or none."
        )
    return built


def _body(answers: Answers) -> Node:
    """Steps in order; independent subtasks side by side in the place of the first of them."""
    subtasks = answers.independent_subtasks
    links = [_call(step) for step in answers.step_names if step not in subtasks]
    if len(subtasks) >= 2:
        section = Node(
            pattern="parallel-sectioning",
            name="parallel",
            steps=["merge"] if answers.merge == "model" else [],
            children=[_call(s) for s in subtasks],
            params={
                "branch_timeout_s": DEFAULTS.branch_timeout_s,
                "concurrency": _concurrency(answers),
            },
        )
        shared = [s for s in answers.step_names if s in subtasks]
        at = answers.step_names.index(shared[0]) if shared else len(answers.step_names)
        links.insert(len([s for s in answers.step_names[:at] if s not in subtasks]), section)
    elif subtasks:
        links.append(_call(subtasks[0]))
    if not links:
        links = [_call("answer")]
    return (
        links[0]
        if len(links) == 1
        else Node(pattern="prompt-chaining", name="chain", children=links)
    )


def _concurrency(answers: Answers) -> int:
    return max(DEFAULTS.concurrency, len(answers.independent_subtasks))


def _explain_body(answers: Answers, built: _Built) -> None:
    steps, subtasks = answers.step_names, answers.independent_subtasks
    chain_steps = [s for s in steps if s not in subtasks]
    if len(chain_steps) + (1 if len(subtasks) >= 2 else len(subtasks)) >= 2:
        built.reasons.append(
            f"Your steps ({', '.join(steps) or 'none listed'}) always run in the same order, "
            "so a prompt chain runs them one after another, each on the last one's output."
        )
    if len(subtasks) >= 2:
        merged = "a merge call joins them" if answers.merge == "model" else "code joins them"
        built.reasons.append(
            f"Your subtasks ({', '.join(subtasks)}) need none of each other's results, so "
            f"they run at the same time and {merged}: the same calls as in a row, less wait."
        )
    elif len(subtasks) == 1:
        built.warnings.append(
            f"One independent subtask ({subtasks[0]}) is just another step; "
            "list at least two to run side by side."
        )


def _vote(answers: Answers, built: _Built) -> None:
    if not answers.errors_are_random:
        built.warnings.append(
            "No voting: you want extra confidence, but the model errs the same way on the "
            "same input, and voting cannot fix systematic errors (every vote repeats the "
            "mistake); improve the prompt or context, try another model, or add an evaluator."
        )
        return
    n, threshold = DEFAULTS.votes, DEFAULTS.vote_threshold
    built.tree = Node(
        pattern="parallel-voting",
        name="vote",
        children=[built.tree],
        params={"n": n, "threshold": threshold},
    )
    built.reasons.append(
        f"You want extra confidence and the model's mistakes vary from run to run, so the "
        f"task runs {n} times and a majority of at least {threshold:.0%} wins (below it the "
        "answer is UNCERTAIN)."
    )


def _refine(answers: Answers, built: _Built, *, inside: str = "the output") -> None:
    if not (answers.refinement and answers.criteria_names):
        built.warnings.extend(_criteria_warnings(answers))
        return
    built.tree = _evaluator(built.tree, answers.criteria_names)
    built.reasons.append(
        f"The output gets better with critique and you said what to check "
        f"({', '.join(answers.criteria_names)}), so an evaluator critiques {inside} and asks for "
        f"a revision, at most {DEFAULTS.max_rounds} rounds."
    )


def _evaluator(generator: Node, criteria: list[str]) -> Node:
    return Node(
        pattern="evaluator-optimizer",
        name="refine",
        steps=["evaluate"],
        children=[generator],
        params={
            "max_rounds": DEFAULTS.max_rounds,
            "expected_rounds": DEFAULTS.expected_rounds,
            "criteria": list(criteria),
        },
    )


def _route_by_category(answers: Answers, built: _Built) -> None:
    labels = answers.category_names
    fallback = _fallback(labels)
    built.tree = Node(
        pattern="routing",
        name="route",
        steps=["classify"],
        children=[_for_label(built.tree, label) for label in labels],
        params={"by": "category", "fallback": fallback},
    )
    built.reasons.append(
        f"Different kinds of input ({', '.join(labels)}) need different handling, so one "
        f"classifier call sends each input to its handler (anything unclear goes to {fallback})."
    )


def _route_by_difficulty(built: _Built) -> None:
    easy = _call("easy")
    hard = _for_label(built.tree, "hard")
    step = "classify_difficulty" if "classify" in built.tree.all_steps() else "classify"
    built.tree = Node(
        pattern="routing",
        name="route",
        steps=[step],
        children=[easy, hard],
        params={"by": "difficulty", "fallback": "hard"},
    )
    built.reasons.append(
        "Most inputs are easy and some are hard, so a classifier sends easy ones to one call "
        "on a small model and hard ones to the full workflow (when unsure: the full one)."
    )


def _orchestrator(answers: Answers) -> _Built:
    types = answers.category_names or ["worker"]
    refine = answers.refinement and bool(answers.criteria_names)
    workers = [_worker(t, answers.criteria_names) if refine else _call(t) for t in types]
    tree = Node(
        pattern="orchestrator-workers",
        name="orchestrate",
        steps=["plan", "synthesize"],
        children=workers,
        params={
            "max_workers": DEFAULTS.max_workers,
            "expected_workers": DEFAULTS.expected_workers,
            "on_unknown": _fallback([t for t in types if t not in ("skip", "fail")] or types),
        },
    )
    built = _Built(tree=tree)
    built.reasons.append(
        "Which subtasks a request needs, and how many, depends on the input, so a planner "
        f"splits each request for workers (at most {DEFAULTS.max_workers}) and a last call "
        "combines their results."
    )
    if answers.category_names:
        built.reasons.append(
            f"Your kinds of work ({', '.join(types)}) become the workers the planner can assign."
        )
    if refine:
        built.reasons.append(
            f"The output gets better with critique and you said what to check "
            f"({', '.join(answers.criteria_names)}), so each worker's result is evaluated and "
            f"revised, at most {DEFAULTS.max_rounds} rounds."
        )
    else:
        built.warnings.extend(_criteria_warnings(answers))
    _ignored(answers, built, ("steps", "independent_subtasks", "needs_confidence"), "the planner")
    return built


def _worker(label: str, criteria: list[str]) -> Node:
    return _for_label(_evaluator(_call("draft"), criteria), label)


def _agent(answers: Answers) -> _Built:
    tree = Node(
        pattern="agent-loop",
        name="agent",
        steps=["agent"],
        params={
            "max_steps": DEFAULTS.max_steps,
            "expected_steps": DEFAULTS.expected_steps,
            "tools": list(answers.tools),
        },
    )
    built = _Built(tree=tree)
    built.reasons.append(
        "Nobody can draw the steps before the run, so an agent loop lets the model choose "
        f"the next step each time, at most {DEFAULTS.max_steps} steps."
    )
    if answers.tools:
        built.reasons.append(f"The agent acts through your tools: {', '.join(answers.tools)}.")
    else:
        built.warnings.append(
            "An agent without tools is a chat with extra steps: it acts through tools. List "
            "the tools it may call, or say the steps can be drawn in advance."
        )
    _refine(answers, built, inside="the agent's answer")
    _ignored(
        answers,
        built,
        ("steps", "categories", "independent_subtasks", "needs_confidence"),
        "the agent",
    )
    return built


_PLAIN = {
    "steps": "steps",
    "categories": "kinds of input",
    "independent_subtasks": "independent subtasks",
    "needs_confidence": "wish for voting",
}


def _ignored(answers: Answers, built: _Built, keys: tuple[str, ...], who: str) -> None:
    given = [_PLAIN.get(k, k) for k in keys if getattr(answers, k)]
    if given:
        built.warnings.append(
            f"Not used: your {' and '.join(given)}, because {who} decides the path at run "
            "time; if you can list the steps in advance, say the flow is known."
        )


def _criteria_warnings(answers: Answers) -> list[str]:
    """Why no evaluator was added although the answers mention refinement or criteria."""
    if answers.refinement and not answers.criteria_names:
        return [
            "No evaluator: the output gets better with critique, but nothing says what to "
            "check; name criteria (e.g. faithful, fluent) to add one."
        ]
    if answers.criteria_names and not answers.refinement:
        return [
            f"Your criteria ({', '.join(answers.criteria_names)}) are not checked: you said the "
            "output does not get better with critique; say it does (refinement) to add an "
            "evaluator."
        ]
    return []


# --- tree helpers -------------------------------------------------------------------------


def _call(name: str) -> Node:
    return Node(pattern="single-call", name=name, steps=[name])


def _fallback(labels: list[str]) -> str:
    for label in labels:
        if label.lower() in _FALLBACK_NAMES:
            return label
    return labels[-1]


def _for_label(node: Node, label: str) -> Node:
    """`node` as the handler (or worker) for `label`: named for it, its steps prefixed by it."""
    if node.pattern == "single-call":
        return _call(label)
    if node.pattern == "agent-loop":
        return node.model_copy(update={"name": label, "steps": [label]})
    return _prefixed(node, label).model_copy(update={"name": label})


def _prefixed(node: Node, prefix: str) -> Node:
    steps = [f"{prefix}_{s}" for s in node.steps]
    children = [_prefixed(c, prefix) for c in node.children]
    name = steps[0] if node.pattern == "single-call" else node.name
    params = _relabelled(node, children)
    return node.model_copy(
        update={"name": name, "steps": steps, "children": children, "params": params}
    )


def _relabelled(node: Node, children: list[Node]) -> dict[str, Any]:
    """`node.params` with the labels they name (routing's `fallback`, an orchestrator's
    `on_unknown`) following the renamed `children`, so they still name a handler or worker."""
    renamed = {old.name: new.name for old, new in zip(node.children, children, strict=True)}
    return {
        key: renamed.get(value, value) if key in _LABEL_PARAMS and isinstance(value, str) else value
        for key, value in node.params.items()
    }


def _unique_steps(tree: Node) -> Node:
    """Rename repeated step names (`merge`, `merge_2`...) so every step has its own settings."""
    seen: set[str] = set()

    def fresh(step: str) -> str:
        name, i = step, 2
        while name.lower() in seen:
            name, i = f"{step}_{i}", i + 1
        seen.add(name.lower())
        return name

    def visit(node: Node) -> Node:
        steps = [fresh(s) for s in node.steps]
        children = [visit(c) for c in node.children]
        update: dict[str, object] = {
            "steps": steps,
            "children": children,
            "params": _relabelled(node, children),
        }
        if node.pattern == "single-call":
            update["name"] = steps[0]
        return node.model_copy(update=update)

    return visit(tree)


def _whiteboard_check(built: _Built) -> None:
    depth, steps = built.tree.depth(), len(built.tree.all_steps())
    if depth > DEFAULTS.whiteboard_depth or steps > DEFAULTS.whiteboard_steps:
        built.warnings.append(
            f"this composition is {depth} levels deep with {steps} model steps: too much to "
            "draw on one whiteboard — consider splitting it into separate workflows or "
            "dropping a layer"
        )


def _latency_check(answers: Answers, built: _Built) -> None:
    path = count_calls(built.tree).critical_path
    if answers.latency_sensitive and path > 3:
        built.warnings.append(
            f"A person waits for each answer, and a typical request waits for {path:g} calls "
            "one after another; run independent steps at once, or use a faster model."
        )


# --- overrides ----------------------------------------------------------------------------


def force(answers: Answers, target: PatternId) -> Answers:
    """Answers rewritten so the diagnosis lands on `target` (for overrides and alternatives)."""
    known = {"flow": "known", "refinement": False, "needs_confidence": False}
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
        update = {"flow": "known", "refinement": False}
        update |= {"needs_confidence": True, "errors_are_random": True}
    elif target == "parallel-sectioning":
        update = dict(known)
        if len(subtasks) < 2:
            branches = steps if len(steps) >= 2 else ["part_a", "part_b"]
            update |= {"independent_subtasks": branches, "steps": []}
    elif target == "routing":
        update = dict(known) | {"independent_subtasks": []}
        update["mixed_difficulty"] = answers.mixed_difficulty or len(answers.category_names) < 2
    else:
        update = dict(known) | {
            "independent_subtasks": [],
            "categories": [],
            "mixed_difficulty": False,
        }
        if target == "prompt-chaining" and len(steps) < 2:
            update["steps"] = [*(steps or ["draft"]), "review"]
        elif target == "single-call":
            update["steps"] = steps[:1]
    return answers.model_copy(update=update)


def _override_warning(answers: Answers, natural: Node, chosen: Node, target: PatternId) -> str:
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


# --- the recommendation -------------------------------------------------------------------


def _recommend(
    answers: Answers, built: _Built, natural: PatternId, override: PatternId | None
) -> Recommendation:
    tree = built.tree
    calls = count_calls(tree)
    warnings = list(built.warnings)
    params = _params(answers, tree, calls.worst, warnings)
    return Recommendation(
        pattern=primary_pattern(tree),
        uses=uses(tree),
        composition=tree,
        reasons=built.reasons,
        rejected=_rejected(answers, tree, natural, override),
        warnings=warnings,
        calls_per_request=_calls(tree),
        params=params,
        answers=answers,
        override=override if override != natural else None,
        natural_pattern=natural,
    )


def _calls(tree: Node) -> CallsPerRequest:
    c = count_calls(tree)
    return CallsPerRequest(expected=c.expected, worst=c.worst, critical_path=c.critical_path)


def _params(answers: Answers, tree: Node, worst: int, warnings: list[str]) -> Params:
    kinds = step_kinds(tree)
    default = answers.models.get("default", DEFAULTS.default_model)
    # The small model only where it is the default's own provider: a project on Anthropic, Ollama
    # or a compatible server must not need an OpenAI key for its classify steps.
    same = default.split("/")[0] == DEFAULTS.small_model.split("/")[0]
    small_model = DEFAULTS.small_model if same and answers.api_base is None else default
    small_steps = {"easy"} if _difficulty_routed(tree) else set()
    models = {}
    for step, kind in kinds.items():
        small = STEP_KINDS[kind].small_model or step in small_steps
        models[step] = answers.models.get(
            step, answers.models.get(kind, small_model if small else default)
        )
    known = {"default", *kinds, *kinds.values()}
    for key in answers.models:
        if key not in known:
            warnings.append(
                f"models: `{key}` names no step or step kind of this workflow; steps are "
                f"{', '.join(kinds)}"
            )
    return Params(
        default_model=default,
        models=models,
        step_kinds=dict(kinds),
        max_tokens={step: STEP_KINDS[kind].max_tokens for step, kind in kinds.items()},
        limits=LimitSettings(
            max_usd=answers.budget_usd_per_request,
            max_calls=worst * DEFAULTS.max_calls_factor,
        ),
    )


def _difficulty_routed(tree: Node) -> bool:
    return tree.pattern == "routing" and tree.params.get("by") == "difficulty"


def _rejected(
    answers: Answers, tree: Node, natural: PatternId, override: PatternId | None
) -> list[Rejected]:
    used = set(uses(tree))
    top = rung(primary_pattern(tree))
    now = count_calls(tree)
    out = []
    for pattern in PATTERN_IDS:
        if pattern in used:
            continue
        why = _why_not(answers, pattern) if pattern != natural else _overridden(override)
        alt = _build(force(answers, pattern)).tree
        alt_calls = count_calls(alt)
        if rung(pattern) > top:
            why += _adds(pattern, alt_calls.expected - now.expected, alt_calls.worst - now.worst)
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


def _adds(pattern: PatternId, expected: float, worst: int) -> str:
    info = PATTERNS[pattern]
    text = f"; it would take {_more(expected)} per request ({_more(worst)} at most)"
    for mult in info.multipliers:
        text += f", ~{mult.factor:g}x the tokens of {mult.baseline} for {mult.applies_to}"
    if info.multipliers:
        text += " (practitioner estimates)"
    return text + f"; risk: {info.failure_modes[0]}"


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
    if pattern == "agent-loop":
        return (
            "The steps can be drawn (or planned) before the run; an agent would choose them "
            "at run time, which is harder to test and audit"
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
        return "The first draft is good enough: you said critique would not improve it"
    if flow != "known":
        return "The steps are decided at run time, not drawn in advance"
    return _why_not_known(answers, pattern)


def _why_not_known(answers: Answers, pattern: PatternId) -> str:
    if pattern == "parallel-voting":
        if answers.needs_confidence:
            return "The model errs the same way on the same input: votes would repeat the mistake"
        return "One answer per input is enough: you did not ask for extra confidence"
    if pattern == "parallel-sectioning":
        return "No two subtasks are independent of each other: nothing can run side by side"
    if pattern == "routing":
        return "Every input is handled the same way: one kind of input, of similar difficulty"
    if pattern == "prompt-chaining":
        return "Your task is one step: there is no sequence to chain"
    return "One call is not enough: your task needs the parts listed under why"
