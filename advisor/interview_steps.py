"""The interview's questions about each step: its role when the name leaves it open, and for
a check, the step it judges, whether a model or code checks, and what a failure does.

Each is asked once per step (`each="steps"`) and only when the answers need it: never for
one step, never without known steps, the role only for a name that says no role or two, the
check's questions only for a check. The answers are kept under the interview's own keys
(`_role:STEP`, ...) and `step_mappings` turns them into the step mappings of answers v2,
each key written only when it differs from what the diagnosis would assume.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from runtime.catalog import DEFAULTS

from .interview_shapes import ACTS_STEP_QUESTION, EACH_STEP_QUESTION, each_of
from .question import Choice, Collected, Question
from .task_model import StepSpec, checked_step, infer_role, roles_named

ROLES: dict[str, str] = {
    "generate": "writes new text: a draft, an answer, a plan",
    "extract": "pulls facts or fields out of the text",
    "transform": "rewrites the text in another form (translate, summarize, format)",
    "check": "judges the text against criteria; passes it on unchanged, or stops it",
    "classify": "picks one label for the text (a category, a tier, yes or no)",
}
"""The five roles in plain words, as the role question offers them."""


def _steps(a: Collected) -> list[str]:
    return [s for s in a.get("steps") or [] if isinstance(s, str)]


def _several_known_steps(a: Collected) -> bool:
    return a.get("flow") == "known" and len(_steps(a)) >= 2


def role_of(a: Collected, step: str) -> str:
    """The step's role: the one chosen in the interview, else the one its name implies."""
    return str(a.get(f"_role:{step}") or infer_role(step))


def _candidates(a: Collected, step: str) -> list[str]:
    """The earlier steps a check could judge: those that are not checks themselves."""
    steps = _steps(a)
    earlier = steps[: steps.index(step)] if step in steps else []
    return [s for s in earlier if role_of(a, s) != "check"]


def _judged(a: Collected, step: str) -> str:
    """The step this check judges: the one chosen, else the nearest earlier non-check."""
    candidates = _candidates(a, step)
    return str(a.get(f"_checks:{step}") or (candidates[-1] if candidates else ""))


def _ambiguous(a: Collected, step: str) -> bool:
    return len(roles_named(step)) != 1


def _is_check(a: Collected, step: str) -> bool:
    return role_of(a, step) == "check"


def _tailor_role(q: Question, a: Collected) -> Question:
    said = roles_named(q.item)
    hint = (
        f"the name says both {said[0]} and {said[1]}"
        if len(said) > 1
        else "the name does not say; a step generates unless you pick another role"
    )
    return replace(
        q, message=f"What does {q.item} do with the text?", hint=hint, default=infer_role(q.item)
    )


def _tailor_checks(q: Question, a: Collected) -> Question:
    candidates = _candidates(a, q.item)
    return replace(
        q,
        message=f"Which step's output does {q.item} judge?",
        choices=tuple(Choice(value=s, title=s) for s in candidates),
        default=candidates[-1] if candidates else "",
    )


def _tailor_by(q: Question, a: Collected) -> Question:
    return replace(q, message=f"Who makes the check {q.item}?")


def _tailor_on_fail(q: Question, a: Collected) -> Question:
    judged = _judged(a, q.item)
    rounds = DEFAULTS.max_rounds
    return replace(
        q,
        message=f"When {q.item} fails, what happens?",
        choices=(
            Choice(value="stop", title="stop: the run ends and says which check failed, and why"),
            Choice(
                value="revise",
                title=(
                    f"revise: the feedback goes back to {judged}, which tries again "
                    f"(at most {rounds} rounds)"
                ),
            ),
        ),
    )


STEP_QUESTIONS: tuple[Question, ...] = (
    Question(
        key="_role",
        kind="select",
        message="What does this step do with the text?",
        choices=tuple(Choice(value=r, title=f"{r}: {says}") for r, says in ROLES.items()),
        each="steps",
        fills="steps",
        when=_several_known_steps,
        when_item=_ambiguous,
        tailor=_tailor_role,
    ),
    Question(
        key="_checks",
        kind="select",
        message="Which step's output does this check judge?",
        hint="it passes that step's output on unchanged when it passes",
        each="steps",
        fills="steps",
        when=_several_known_steps,
        when_item=lambda a, step: _is_check(a, step) and len(_candidates(a, step)) >= 2,
        tailor=_tailor_checks,
    ),
    Question(
        key="_by",
        kind="select",
        message="Who makes this check?",
        default="model",
        choices=(
            Choice(value="model", title="model: a model call judges it"),
            Choice(
                value="code",
                title="code: a function you fill in (no model call; e.g. the JSON parses)",
            ),
        ),
        each="steps",
        fills="steps",
        when=_several_known_steps,
        when_item=_is_check,
        tailor=_tailor_by,
    ),
    Question(
        key="_on_fail",
        kind="select",
        message="When this check fails, what happens?",
        default="stop",
        each="steps",
        fills="steps",
        when=_several_known_steps,
        when_item=lambda a, step: _is_check(a, step) and bool(_candidates(a, step)),
        tailor=_tailor_on_fail,
    ),
    EACH_STEP_QUESTION,
    ACTS_STEP_QUESTION,
)
"""Asked right after the steps, step by step."""


def step_mappings(collected: Collected) -> list[Any]:
    """The steps for the answers: a bare name, or a mapping with what the interview learned.

    `role` is written when it was asked; `checks`, `by` and `on_fail` only when they differ
    from the defaults (the nearest earlier non-check step, a model, stop); `each` when the
    step runs once per item.
    """
    steps = collected.get("steps") or []
    if not all(isinstance(s, str) for s in steps):
        return list(steps)
    specs = [StepSpec(name=s, role=role_of(collected, s)) for s in steps]
    out: list[Any] = []
    for i, step in enumerate(steps):
        mapping: dict[str, Any] = {"name": step}
        if f"_role:{step}" in collected:
            mapping["role"] = collected[f"_role:{step}"]
        if specs[i].kind == "check":
            judged = collected.get(f"_checks:{step}")
            if judged and judged != checked_step(specs, i):
                mapping["checks"] = judged
            for key in ("by", "on_fail"):
                default = StepSpec.model_fields[key].default
                value = collected.get(f"_{key}:{step}", default)
                if value != default:
                    mapping[key] = value
        item = each_of(collected, step)
        if item:
            mapping["each"] = item
        out.append(mapping if len(mapping) > 1 else step)
    return out
