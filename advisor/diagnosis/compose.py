"""The escalation ladder: answers in, the composition tree out (CONTRACTS §1 rules). Pure.

Only the shape is decided here; why each part is there is read back from the finished tree
by `explain.py`, and warnings about the numbers come from `advice.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runtime.catalog import DEFAULTS
from runtime.plan import Node

from ..answers import Answers
from ..task_model import Difficulty, ParallelStage, StepEntry, StepSpec, flat_specs
from .approvals import mark_actions
from .pipeline import Wraps, build_pipeline, evaluator
from .tree import call, fallback, for_label, handler, prefixed, unique_steps


@dataclass
class Built:
    """A composition under construction, with the warnings found on the way."""

    tree: Node
    """The composition."""
    warnings: list[str] = field(default_factory=list)
    """What the user should know about their answers."""
    tier_models: dict[str, str] = field(default_factory=dict)
    """Model per step chosen by a difficulty tier."""


def build(answers: Answers) -> Built:
    """The composition the answers call for."""
    if answers.flow == "unknown":
        built = _agent(answers)
    elif answers.flow == "depends-on-input":
        built = _orchestrator(answers)
    else:
        built = _known_flow(answers)
    if answers.difficulty is not None:
        _tiers(answers, built)
    elif answers.mixed_difficulty:
        _route_by_difficulty(built, named=bool(_entries(answers)))
    built.tree = mark_actions(answers, unique_steps(built.tree))
    built.tier_models = {s: m for s, m in built.tier_models.items() if s in built.tree.all_steps()}
    return built


def refine_target(answers: Answers, specs: list[StepSpec]) -> str | None:
    """The step the evaluator wraps: `refine`, else the last generate step, else the last."""
    if answers.refine:
        return answers.refine
    makers = [s.name for s in specs if s.kind in ("generate", "transform", "extract")]
    plain = [s.name for s in specs if s.kind == "generate"]
    if plain or makers:
        return (plain or makers)[-1]
    return specs[-1].name if specs else None


def vote_target(answers: Answers, specs: list[StepSpec]) -> str | None:
    """The step that is voted on: `vote`, else the only step, else the classify step."""
    if answers.vote:
        return answers.vote
    if len(specs) == 1:
        return specs[0].name
    for role in ("classify", "extract"):  # a label or fields: answers that can agree exactly
        labelled = [s.name for s in specs if s.kind == role]
        if labelled:
            return labelled[0]
    return None


def _wants_refine(answers: Answers) -> bool:
    return answers.refinement or answers.refine is not None


def _wants_vote(answers: Answers) -> bool:
    return (answers.needs_confidence or answers.vote is not None) and answers.errors_are_random


def _entries(answers: Answers) -> list[StepEntry]:
    """Top-level steps, the v1 independent subtasks as a stage where the first of them is."""
    steps: list[StepEntry] = list(answers.steps)
    subtasks = answers.independent_subtasks
    if len(subtasks) < 2:
        return steps + list(subtasks) if subtasks else steps
    shared = [i for i, e in enumerate(steps) if isinstance(e, str) and e in subtasks]
    at = shared[0] if shared else len(steps)
    rest = [e for e in steps if not (isinstance(e, str) and e in subtasks)]
    before = len([e for e in steps[:at] if not (isinstance(e, str) and e in subtasks)])
    stage = ParallelStage(parallel=list(subtasks), merge=answers.merge)
    return [*rest[:before], stage, *rest[before:]]


def _wraps(answers: Answers, specs: list[StepSpec]) -> Wraps:
    criteria = answers.criteria_specs if _wants_refine(answers) else []
    guard = answers.guard or (specs[0].name if specs else None)
    return Wraps(
        refine=refine_target(answers, specs) if criteria else None,
        criteria=tuple(criteria),
        vote=vote_target(answers, specs) if _wants_vote(answers) else None,
        guard=guard if answers.guardrails else None,
        guardrails=tuple(answers.guardrail_specs),
        concurrency=max(DEFAULTS.concurrency, len(answers.independent_subtasks)),
    )


def _known_flow(answers: Answers) -> Built:
    built = Built(tree=call("answer"))
    pipelines = answers.category_pipelines
    if pipelines:
        handlers = [
            handler(build_pipeline(list(specs), _wraps(answers, specs)), label)
            for label, specs in pipelines.items()
        ]
        labels = list(pipelines)
        fb = handlers[labels.index(fallback(labels))].name
        built.tree = _router(answers.category_names, handlers, by="category", fb=fb)
        return built
    entries = _entries(answers) or ["answer"]
    if entries:
        specs = flat_specs(entries)
        wraps = _wraps(answers, specs)
        body = build_pipeline(entries, wraps)
        if _wants_vote(answers) and wraps.vote is None:  # nothing to single out: vote on it all
            body = Node(
                pattern="parallel-voting",
                name="vote",
                children=[body],
                params={"n": DEFAULTS.votes, "threshold": DEFAULTS.vote_threshold},
            )
        built.tree = body
    if len(answers.category_names) >= 2:
        labels = answers.category_names
        # the user's steps keep their names (`x_translate`); the stand-in `answer` step is not one
        named = handler if _entries(answers) else for_label
        built.tree = _router(labels, [named(built.tree, lb) for lb in labels], by="category")
    return built


def _router(labels: list[str], handlers: list[Node], *, by: str, fb: str | None = None) -> Node:
    return Node(
        pattern="routing",
        name="route",
        steps=["classify"],
        children=handlers,
        params={"by": by, "fallback": fb or fallback(labels)},
    )


def _tiers(answers: Answers, built: Built) -> None:
    """Two tiers, each the same workflow on its own model, chosen by the one classify call."""
    tiers = answers.difficulty
    assert tiers is not None
    if tiers.by == "cascade":
        _cascade(tiers, built)
        return
    tree = built.tree
    if tree.pattern == "routing" and tree.params.get("by") == "category":
        handlers = [
            prefixed(topic, tier).model_copy(update={"name": f"{topic.name}_{tier}"})
            for topic in tree.children
            for tier in ("easy", "hard")
        ]
        labels = [h.name for h in handlers]
        fb = f"{tree.params.get('fallback')}_hard"
        built.tree = Node(
            pattern="routing",
            name="route",
            steps=list(tree.steps),
            children=handlers,
            params={"by": "category+difficulty", "fallback": fb if fb in labels else labels[-1]},
        )
    else:
        handlers = [handler(tree, t) for t in ("easy", "hard")]  # labels are the tiers
        built.tree = Node(
            pattern="routing",
            name="route",
            steps=["classify"],
            children=handlers,
            params={"by": "difficulty", "fallback": handlers[-1].name},
        )
    for i, tier in enumerate(built.tree.children):  # easy, hard, easy, hard...
        model = tiers.easy if i % 2 == 0 else tiers.hard
        built.tier_models.update({s: model for s in tier.all_steps()})
    if tiers.easy == tiers.hard:
        built.warnings.append(
            f"Both difficulty tiers use {tiers.easy}: the split costs a classify call per "
            "request and saves nothing; give `easy` a smaller model, or drop `difficulty`."
        )


def _cascade(tiers: Difficulty, built: Built) -> None:
    """The easy model answers first; a confidence check sends only doubtful answers on to the
    hard model (per category handler when a router picks the topic)."""
    tree = built.tree
    if tree.pattern == "routing" and tree.params.get("by") == "category":
        kids = [_cascade_node(h, tiers, name=h.name) for h in tree.children]
        built.tree = tree.model_copy(update={"children": kids})
    else:
        built.tree = _cascade_node(tree, tiers, name="cascade")
    for node in built.tree.walk():
        if node.params.get("by") != "cascade":
            continue
        easy, hard = node.children
        built.tier_models.update({s: tiers.easy for s in (*node.steps, *easy.all_steps())})
        built.tier_models.update({s: tiers.hard for s in hard.all_steps()})
    if tiers.easy == tiers.hard:
        built.warnings.append(
            f"Both cascade tiers use {tiers.easy}: an escalated answer is asked again of the "
            "same model, so the cascade only adds calls; give `easy` a smaller model, or drop "
            "`difficulty`."
        )


def _cascade_node(tree: Node, tiers: Difficulty, *, name: str) -> Node:
    """`tree` on the easy model, then (when the check doubts its answer) on the hard one."""
    prefix = "" if name == "cascade" else f"{name}_"
    if tree.pattern == "single-call":
        easy, hard = (call(f"{t}_{tree.steps[0]}", **tree.params) for t in ("easy", "hard"))
    else:
        easy, hard = (
            prefixed(tree, t).model_copy(update={"name": f"{prefix}{t}"}) for t in ("easy", "hard")
        )
    return Node(
        pattern="routing",
        name=name,
        steps=[f"{prefix}confidence"] if tiers.check == "model" else [],
        children=[easy, hard],
        params={
            "by": "cascade",
            "check": tiers.check,
            "threshold": DEFAULTS.cascade_threshold,
            "expected_escalation": DEFAULTS.expected_escalation,
        },
    )


def _route_by_difficulty(built: Built, *, named: bool) -> None:
    """The v1 form: easy inputs take one call, hard ones the full workflow. `named`: the user
    named the steps (else the workflow is the stand-in `answer` call)."""
    if named:
        easy, hard = _easy_call(built.tree), handler(built.tree, "hard")
    else:
        easy, hard = call("easy", role="generate"), for_label(built.tree, "hard")
    step = "classify_difficulty" if "classify" in built.tree.all_steps() else "classify"
    built.tree = Node(
        pattern="routing",
        name="route",
        steps=[step],
        children=[easy, hard],
        params={"by": "difficulty", "fallback": "hard"},
    )


def _easy_call(tree: Node) -> Node:
    """The easy tier's one call: the workflow's only step with its role (`easy_translate`), so
    the small model is told the user's step; a generic `easy` call when there are several."""
    makers = [n for n in tree.walk() if n.pattern == "single-call" and n.steps]
    makers = [n for n in makers if n.params.get("role") != "check"]
    if len(makers) != 1 or tree.pattern == "agent-loop":
        return call("easy", role="generate")
    return handler(call(makers[0].steps[0], **{"role": "generate", **makers[0].params}), "easy")


def _orchestrator(answers: Answers) -> Built:
    types = answers.category_names or ["worker"]
    refine = _wants_refine(answers) and bool(answers.criteria)
    workers = [
        for_label(evaluator(call("draft"), answers.criteria_specs), t) if refine else call(t)
        for t in types
    ]
    tree = Node(
        pattern="orchestrator-workers",
        name="orchestrate",
        steps=["plan", "synthesize"],
        children=workers,
        params={
            "max_workers": DEFAULTS.max_workers,
            "expected_workers": DEFAULTS.expected_workers,
            "on_unknown": fallback([t for t in types if t not in ("skip", "fail")] or types),
        },
    )
    if answers.dependencies:  # subtasks run in waves, each after the results it needs
        tree.params.update(dependencies=True, expected_waves=DEFAULTS.expected_waves)
    return Built(tree=tree)


def _agent(answers: Answers) -> Built:
    params: dict[str, object] = {
        "max_steps": DEFAULTS.max_steps,
        "expected_steps": DEFAULTS.expected_steps,
        "tools": list(answers.tools),
    }
    if answers.criteria:
        params["stop_when"] = answers.criteria_names
    if answers.approval:
        params["approval"] = list(answers.approval)
    tree = Node.model_validate(
        {"pattern": "agent-loop", "name": "agent", "steps": ["agent"], "params": params}
    )
    return Built(tree=tree)
