"""Planned subtasks that depend on each other: ids, `depends_on`, the checks that make a plan a
DAG, and its waves (topological levels). Pure: no model, no combinator.

A plan model that subclasses `DagPlan` refuses a plan with an unknown id, a self-dependency or
a cycle at validation, so a model planner's bad plan goes back to it as a repair that names the
problem (the structured-output repair loop of `llm`, at most `caps.MAX_REPAIRS` times).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, model_validator

from .subtask_fields import DEPENDS_FIELD, ID_FIELD


def field_of(subtask: Any, key: str) -> Any:
    """A subtask's field, from a mapping or an object; None when it has none."""
    if isinstance(subtask, Mapping):
        return subtask.get(key)
    return getattr(subtask, key, None)


def subtask_id(subtask: Any, position: int) -> str:
    """The subtask's id, or `#N` (its 1-based position) when it has none."""
    value = field_of(subtask, ID_FIELD)
    return str(value) if value not in (None, "") else f"#{position}"


def needs(subtask: Any) -> list[str]:
    """The ids a subtask depends on, as strings (none when the field is missing or empty)."""
    value = field_of(subtask, DEPENDS_FIELD)
    if value is None:
        return []
    if isinstance(value, str | int) or not isinstance(value, Iterable):
        return [str(value)]
    return [str(v) for v in value]


def dag_problem(subtasks: Sequence[Any]) -> str | None:
    """What keeps the plan from being a DAG, in one line naming the subtasks; None when it is.

    Checked in order: a repeated id, a subtask that depends on itself, an id nobody has, a cycle.
    """
    ids = [subtask_id(s, i) for i, s in enumerate(subtasks, 1)]
    seen: set[str] = set()
    for sid in ids:
        if sid in seen:
            return f"two subtasks have the id {sid!r}; give every subtask its own id"
        seen.add(sid)
    for sid, sub in zip(ids, subtasks, strict=True):
        deps = needs(sub)
        if sid in deps:
            return f"subtask {sid!r} depends on itself; drop {sid!r} from its {DEPENDS_FIELD}"
        unknown = [d for d in deps if d not in seen]
        if unknown:
            return (
                f"subtask {sid!r} depends on {unknown[0]!r}, which is not a subtask of this "
                f"plan (ids: {', '.join(ids)}); name only ids of the plan in {DEPENDS_FIELD}"
            )
    cycle = find_cycle({sid: needs(s) for sid, s in zip(ids, subtasks, strict=True)})
    if cycle:
        path = " -> ".join(repr(c) for c in cycle)
        return (
            f"the dependencies go round in a cycle ({path}), so none of them could start; "
            "remove one of those dependencies"
        )
    return None


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle in `graph` (id -> the ids it depends on) as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in graph:
        if state.get(root):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            deps = graph.get(node, ())
            if i < len(deps):
                stack.append((node, i + 1))
                nxt = deps[i]
                if state.get(nxt) == 1:
                    return [*path[path.index(nxt) :], nxt]
                if not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return None


def levels(subtasks: Sequence[Any]) -> list[list[int]]:
    """The waves of a plan: positions (0-based) whose dependencies all ran in earlier waves,
    plan order kept within a wave. A dependency on an id not in `subtasks` is ignored (the
    caller decides what a missing dependency means); a cycle is a ValueError naming it."""
    ids = [subtask_id(s, i) for i, s in enumerate(subtasks, 1)]
    where = {sid: i for i, sid in enumerate(ids)}
    deps = [{where[d] for d in needs(s) if d in where} for s in subtasks]
    placed: set[int] = set()
    out: list[list[int]] = []
    while len(placed) < len(subtasks):
        wave = [i for i in range(len(subtasks)) if i not in placed and deps[i] <= placed]
        if not wave:
            raise ValueError(dag_problem(subtasks) or "the plan's dependencies form a cycle")
        out.append(wave)
        placed.update(wave)
    return out


def plan_list(plan: Any) -> list[Any] | None:
    """The subtask list in a plan: the list itself, or a model's (only) list field."""
    if isinstance(plan, list):
        return plan
    if isinstance(plan, BaseModel):
        lists = [v for v in plan.__dict__.values() if isinstance(v, list)]
        return lists[0] if len(lists) == 1 else None
    return None


class DagPlan(BaseModel):
    """Base of a plan whose subtasks (its one list field) carry `id` and `depends_on`: a plan
    that is not a DAG fails validation with the problem named, so the planner repairs it."""

    @model_validator(mode="after")
    def _is_a_dag(self) -> DagPlan:
        items = plan_list(self)
        problem = dag_problem(items) if items is not None else None
        if problem:
            raise ValueError(problem)
        return self
