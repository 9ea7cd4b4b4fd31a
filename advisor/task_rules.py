"""The rules that tie the answers of a v2 file together; each broken one is a one-line error.

`coerce_steps` reads `steps` entries (names, step mappings, parallel stages) with errors that
name the entry; `contradiction` finds the first answer that contradicts another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .task_model import ParallelStage, StepEntry, StepSpec, flat_specs
from .userfiles import brief, clip

if TYPE_CHECKING:
    from .answers import Answers

_STEP_KEYS = ", ".join(StepSpec.model_fields)
_V2_KEYS = (
    "difficulty",
    "guardrails",
    "guard",
    "vote",
    "refine",
    "approval",
    "dependencies",
    "conversation",
    "summarize_after",
)


def coerce_steps(values: list[Any], *, where: str, stages: bool = True) -> list[StepEntry]:
    """`steps` entries as names, StepSpec or ParallelStage; a bad one is a ValueError naming it."""
    out: list[StepEntry] = []
    for i, value in enumerate(values):
        at = f"{where}[{i}]"
        if isinstance(value, str):
            if not value.strip():
                raise ValueError(f"{at}: entries must not be empty")
            out.append(value.strip())
        elif isinstance(value, dict) and "parallel" in value:
            if not stages:
                raise ValueError(f"{at}: a parallel stage is allowed only in top-level `steps`")
            out.append(_parse(ParallelStage, value, at, "{parallel: [a, b], merge: code}"))
        elif isinstance(value, dict) and "name" in value:
            out.append(_parse(StepSpec, value, at, "{name: check_style, role: check}"))
        else:
            raise ValueError(
                f"{at}: {brief(value)} is not a step; give a name, a mapping like "
                "`{name: check_style, role: check}` or a stage `{parallel: [a, b]}`"
            )
    return out


def _parse(model: type[Any], value: dict[str, Any], at: str, example: str) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            return _raise(f"{at}: unknown key `{clip(key, 30)}` (a step takes {_STEP_KEYS})")
        if first["type"] == "literal_error":
            expected = first.get("ctx", {}).get("expected", "")
            got = brief(first["input"])
            return _raise(f"{at}.{key}: {got} is not allowed; use one of {expected}")
        return _raise(f"{at}.{key}: {first['msg']} (e.g. `{example}`)")


def _raise(message: str) -> Any:
    raise ValueError(message)


def contradiction(a: Answers) -> str | None:
    """The first answer that contradicts another, as a one-line fix; None when all agree."""
    for check in (_schema, _categories, _stages, _step_roles, _targets, _approval):
        problem = check(a)
        if problem:
            return problem
    return None


def _schema(a: Answers) -> str | None:
    if a.schema_version != 1 or "schema_version" not in a.model_fields_set:
        return None
    v2 = [k for k in _V2_KEYS if k in a.model_fields_set]
    if any(not isinstance(e, str) for e in a.steps):
        v2.insert(0, "steps")
    if isinstance(a.categories, dict):
        v2.insert(0, "categories")
    if any(not isinstance(c, str) for c in a.criteria):
        v2.append("criteria")
    if v2:
        return f"`{v2[0]}` in this form needs `schema: 2` (the file says `schema: 1`)"
    return None


def _categories(a: Answers) -> str | None:
    if not isinstance(a.categories, dict):
        return None
    if a.steps:
        return (
            "`steps` and a pipeline per category cannot both be given: put the shared steps "
            "into each category's list, or list the categories without pipelines"
        )
    if a.flow != "known":
        return (
            f"a pipeline per category needs `flow: known` (got {a.flow}); with "
            "`flow: depends-on-input`, list the categories as worker types: `[a, b]`"
        )
    if len(a.categories) < 2:
        return "a pipeline per category needs at least two categories"
    return None


def _stages(a: Answers) -> str | None:
    if any(isinstance(e, ParallelStage) for e in a.steps) and a.independent_subtasks:
        return (
            "`independent_subtasks` and a parallel stage in `steps` say the same thing twice; "
            "keep the stage `{parallel: [...]}` and drop `independent_subtasks`"
        )
    return None


def all_pipelines(a: Answers) -> dict[str, list[StepSpec]]:
    """Every pipeline of the answers: the top-level steps (key ''), or each category's."""
    return a.category_pipelines or {"": flat_specs(a.steps)}


def _step_roles(a: Answers) -> str | None:
    for label, specs in all_pipelines(a).items():
        where = f"categories.{label}" if label else "steps"
        names = [s.name for s in specs]
        for i, spec in enumerate(specs):
            is_check = spec.kind == "check"
            if not is_check and (spec.checks or spec.on_fail != "stop" or spec.by != "model"):
                key = "checks" if spec.checks else "on_fail" if spec.on_fail != "stop" else "by"
                return (
                    f"{where}: `{spec.name}` has `{key}:` but is a {spec.kind} step; only a "
                    f"check step takes it (add `role: check`, or drop `{key}`)"
                )
            if spec.checks is None:
                continue
            if spec.checks == spec.name:
                return f"{where}: `{spec.name}` checks itself; name the step it judges"
            if spec.checks not in names:
                return (
                    f"{where}: `{spec.name}` checks `{spec.checks}`, which is not a step; "
                    f"steps are {', '.join(names)}"
                )
            if names.index(spec.checks) > i:
                return (
                    f"{where}: `{spec.name}` checks `{spec.checks}`, which runs later; a check "
                    "judges an earlier step (move it after the step it checks)"
                )
            if specs[names.index(spec.checks)].kind == "check":
                makers = [s.name for s in specs[:i] if s.kind != "check"]
                way = (
                    f"name the step that makes the artifact ({makers[-1]})"
                    if makers
                    else f"give `{spec.checks}` a role that makes it (e.g. `role: generate`)"
                )
                return (
                    f"{where}: `{spec.name}` checks `{spec.checks}`, which is a check itself and "
                    f"changes nothing to judge or revise; {way}"
                )
    return None


def _targets(a: Answers) -> str | None:
    pipelines = all_pipelines(a)
    names = {s.name for specs in pipelines.values() for s in specs}
    listed = ", ".join(sorted(names)) or "none listed"
    kinds = {s.name: s.kind for specs in pipelines.values() for s in specs}
    for key in ("refine", "vote", "guard"):
        target = getattr(a, key)
        if target is None:
            continue
        if a.flow != "known":
            return f"`{key}: {target}` names a step, but with `flow: {a.flow}` there are none"
        if target not in names:
            return f"`{key}: {target}` names no step; steps are {listed}"
        if key == "refine" and kinds[target] == "check":
            return (
                f"`refine: {target}` names a check; refine the step that writes the artifact "
                "(the evaluator loop wraps it)"
            )
    if a.guard is not None and not a.guardrails:
        return f"`guard: {a.guard}` says where guardrails run, but no `guardrails` are listed"
    guard_names = {g.name for g in a.guardrail_specs}
    clash = sorted(guard_names & names)
    if clash:
        return f"`{clash[0]}` is both a step and a guardrail; rename one of them"
    return None


def _approval(a: Answers) -> str | None:
    unknown = [t for t in a.approval if t not in a.tools]
    if unknown:
        return (
            f"`approval` names `{unknown[0]}`, which is not in `tools`"
            f" ({', '.join(a.tools) or 'none listed'}); list the tool there too"
        )
    return None
