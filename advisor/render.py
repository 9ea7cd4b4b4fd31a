"""Render a recommendation into a project through copier (imported lazily: it is slow to load)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.catalog import step_kinds
from runtime.plan import CODE, PATTERN_IDS, Node, PatternId
from runtime.prompt_files import prompt_files as runtime_prompt_files
from runtime.settings import Settings

from . import __version__
from .cascade_names import cascades, is_cascade, template_patterns
from .errors import Failure
from .identifiers import (
    class_names,
    distribution_name,
    one_line,
    package_name,
    py_str,
    unique_identifiers,
)
from .pattern_guide import PATTERNS
from .template_store import Published, publish
from .tool_stubs import tool_stub
from .vendoring import prune


@dataclass(frozen=True, kw_only=True)
class ProjectSpec:
    """Everything a generated project is made from."""

    settings: Settings
    """The project's settings.json: plan, models, limits, caps (from the recommendation)."""
    recommendation: Mapping[str, Any]
    """The recommendation as in CONTRACTS §2 (pattern, uses, reasons, rejected, warnings...)."""
    task: str = ""
    """The task in the user's words."""
    answers: Mapping[str, Any] = field(default_factory=dict)
    """The answers the recommendation came from, recorded for `update` and `estimate`."""


def copier_data(spec: ProjectSpec) -> dict[str, Any]:
    """The copier answers for a spec: every question of templates/project/copier.yml."""
    return {
        **template_data(spec.settings, spec.task),
        "recommendation": _plain(spec.recommendation),
        "answers": _plain(spec.answers),
    }


def template_data(settings: Settings, task: str) -> dict[str, Any]:
    """The copier answers that come from the settings and the task alone: all but the
    recommendation and the answers (what the prompt files are rendered from, also in memory by
    `prompt_texts` to price a recommendation before it is generated)."""
    package = package_name(settings.name)
    return {
        "project_name": settings.name,
        "package": package,
        "distribution": distribution_name(package),
        "task": task,
        "wfadvise_version": __version__,
        # A project without `chat` has no conversation key at all in its settings.json.
        "settings": settings.model_dump(mode="json", by_alias=True, exclude=_no_chat(settings)),
        "names": names_for(settings),
    }


def _no_chat(settings: Settings) -> set[str] | None:
    """The settings keys left out of settings.json: `conversation` unless the project chats."""
    return {"conversation"} if settings.conversation is None else None


def names_for(settings: Settings) -> dict[str, Any]:
    """Identifiers, class names, prompt files and literals for every name in the plan."""
    plan = settings.plan
    kinds = step_kinds(plan)
    step_ids = unique_identifiers(plan.all_steps())
    classes = schema_classes(class_names(step_ids.values()))
    files = prompt_files(step_ids)
    tools = [str(t) for node in plan.walk() for t in _as_list(node.params.get("tools"))]
    tool_ids = unique_identifiers(tools, fallback="tool")
    strings = {settings.name, *step_ids, *tools}
    about: dict[str, list[str]] = {}
    roles, revised = _roles(plan)
    stops = {n.steps[0]: _as_list(n.params.get("stop_when")) for n in plan.walk() if n.steps}
    for node in plan.walk():
        strings.add(node.name)
        criteria = [str(c) for c in _as_list(node.params.get("criteria"))]
        strings.update(criteria)
        fallback = node.params.get("fallback")
        if isinstance(fallback, str):
            strings.add(fallback)
        for step in node.steps:
            about[step] = _about(
                node, criteria, tools=[str(t) for t in _as_list(node.params.get("tools"))]
            )
    return {
        "steps": {
            step: {
                "ident": ident,
                **classes[ident],
                "file": files[step],
                "kind": kinds[step],
                "literal": py_str(step),
                "text": one_line(step),
                "about": [one_line(x) for x in about.get(step, [])],
                "role": roles.get(step, ""),
                "revised": step in revised,
                "stop": [one_line(str(x)) for x in stops.get(step, [])],
            }
            for step, ident in step_ids.items()
        },
        "tools": {
            tool: {"ident": ident, "literal": py_str(tool), **tool_stub(tool)}
            for tool, ident in tool_ids.items()
        },
        "nodes": _node_views(plan),
        "patterns": template_patterns(plan),
        "titles": [PATTERNS[p].title for p in _ladder_order(plan)],
        "imports": _imports(plan),
        "checks": _code_checks(plan),
        "maps": _items(plan),
        "cascades": cascades(plan),
        "confidence": {k: v for k, v in cascades(plan).items() if v["check"] == "code"},
        "chat": settings.conversation is not None,  # `chat` and chat.py (issue 15)
        "roles": _role_imports(plan),
        "labelled": labelled_steps(plan),
        "lit": {text: py_str(text) for text in sorted(strings)},
        "text": {text: one_line(text) for text in sorted(strings)},
    }


def _item(node: Node) -> str:
    """The item a map node runs its step over (`each`), else ""."""
    return str(node.params.get("each") or "")


def _items(plan: Node) -> dict[str, dict[str, str]]:
    """Per map node (`each`): the item, and the splitter function (`split_ITEM`) for it."""
    maps = [n for n in plan.walk() if _item(n)]
    idents = unique_identifiers([_item(n) for n in maps], fallback="item")
    return {n.name: {"item": one_line(_item(n)), "fn": f"split_{idents[_item(n)]}"} for n in maps}


_SCHEMA_SUFFIXES = {"label_cls": "Label", "plan_cls": "Plan", "subtask_cls": "Subtask"}


def schema_classes(bases: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Schema class names per step: `PlanSubtask`, and `Plan` (not `PlanPlan`) for step "plan"."""
    used = {"BaseModel", "Field", "Literal", "Verdict"}
    result: dict[str, dict[str, str]] = {}
    for ident, base in bases.items():
        result[ident] = {"cls": base}
        for key, suffix in _SCHEMA_SUFFIXES.items():
            name, n = (base if base.endswith(suffix) else base + suffix), 2
            while name in used:
                name, n = f"{base}{n}{suffix}", n + 1
            used.add(name)
            result[ident][key] = name
    return result


def prompt_files(step_ids: Mapping[str, str]) -> dict[str, str]:
    """Prompt file per step: a slug of its name (the runtime's rule, which `estimate` reads)."""
    return runtime_prompt_files(step_ids)


# Patterns that run every child on every request: a test can count on reaching their children.
_RUNS_ALL = {"prompt-chaining", "parallel-sectioning", "parallel-voting", "evaluator-optimizer"}

# Patterns a step's error passes straight through (parallel and vote absorb failed branches).
_RAISES_THROUGH = {"prompt-chaining", "evaluator-optimizer"}


def _node_views(plan: Node) -> list[dict[str, Any]]:
    """Every node, flat, for templates: labels deduplicated; `sure` = every request reaches it."""
    views: list[dict[str, Any]] = []

    def visit(node: Node, sure: bool, strict: bool) -> None:
        views.append(
            {
                "pattern": node.pattern,
                "name": node.name,
                "steps": list(node.steps),
                "params": dict(node.params),
                "labels": list(dict.fromkeys(child.name for child in node.children)),
                "sure": sure,
                "strict": strict,
                "gated": [c.steps[0] for c in _reached(node) if c.pattern == "single-call"],
                "voted_step": _last_step(node.children[0])
                if node.pattern == "parallel-voting" and node.children
                else None,
            }
        )
        for child in node.children:
            raises = strict and node.pattern in _RAISES_THROUGH
            visit(child, sure and node.pattern in _RUNS_ALL and child in _reached(node), raises)

    visit(plan, True, True)
    return views


def _reached(node: Node) -> list[Node]:
    """Children an offline run reaches: a chain stops at a step under `approval` (refused)."""
    kids = node.children
    asks = [i for i, c in enumerate(kids) if c.pattern == "single-call" and "approval" in c.params]
    chain = node.pattern == "prompt-chaining" and asks
    return list(kids[: asks[0] + 1] if chain else kids)


def _last_step(node: Node) -> str | None:
    """The step whose output is the node's output, when one step's is (single call, chain)."""
    if node.pattern == "single-call":
        return node.steps[0]
    if node.pattern == "prompt-chaining" and node.children:
        return _last_step(node.children[-1])
    return None


def _ladder_order(plan: Node) -> list[PatternId]:
    """Patterns in the plan, lowest rung first; single calls count only when alone."""
    used = plan.patterns()
    if used != {"single-call"}:
        used.discard("single-call")
    return [p for p in PATTERN_IDS if p in used]


_COMBINATOR = {
    "prompt-chaining": "chain",
    "routing": "route",
    "parallel-sectioning": "parallel",
    "parallel-voting": "vote",
    "orchestrator-workers": "orchestrate",
    "evaluator-optimizer": "refine",
}


def _imports(plan: Node) -> list[str]:
    """The names workflow.py imports from the runtime's combinators (only what it uses)."""
    gates = ("guard", "check")  # stages of checks are wired by guarded(), not parallel()
    # a map over items (`each`) is wired by each(), not parallel()
    wired = [
        n
        for n in plan.walk()
        # a check that loops its step (on_fail: revise) is wired by refine()
        if (n.params.get("role") not in gates or n.pattern == "evaluator-optimizer")
        and not _item(n)
    ]
    kinds = {n.pattern for n in wired if not is_cascade(n)} - {CODE}
    names = {"Step"} | {_COMBINATOR[p] for p in kinds if p in _COMBINATOR}
    tiered = [n for n in plan.walk() if is_cascade(n)]
    if tiered:  # a cascade is wired by cascade(), not route()
        names.add("cascade")
    if any(n.steps for n in tiered):
        names.add("Confidence")
    if any(
        node.pattern == "prompt-chaining"
        and any(child.pattern == "single-call" for child in node.children)
        for node in plan.walk()
    ):
        names.add("min_length")
    return sorted(names, key=lambda n: (not n[0].isupper(), n))


def _roles(plan: Node) -> tuple[dict[str, str], set[str]]:
    """Each model step's role (generate, check, transform...), and the steps a loop revises."""
    roles: dict[str, str] = {}
    revised: set[str] = set()
    for node in plan.walk():
        role = node.params.get("role")
        if node.pattern == "single-call" and isinstance(role, str):
            roles[node.steps[0]] = role
        if is_cascade(node) and node.steps:  # its model check rates the cheap answer
            roles[node.steps[0]] = "confidence"
        if node.pattern == "evaluator-optimizer" and node.children:
            revised.update(node.children[0].all_steps())
            if role == "check" and node.steps:  # a check with on_fail: revise judges its check
                roles[node.steps[0]] = "check"
    return roles, revised


def _code_checks(plan: Node) -> dict[str, dict[str, Any]]:
    """The checks done by code (a function stub in checks.py each): code steps and guardrails,
    and evaluator loops whose criteria are all checked by code."""
    found: dict[str, list[str]] = {}
    loops: set[str] = set()
    for node in plan.walk():
        if node.pattern == CODE or (node.pattern == "evaluator-optimizer" and not node.steps):
            criteria = [str(c) for c in _as_list(node.params.get("criteria"))]
            found.setdefault(node.name, criteria or [node.name])
            if node.pattern == "evaluator-optimizer":
                loops.add(node.name)
    ids = unique_identifiers(found, fallback="check")
    return {
        name: {
            "ident": ids[name],
            "literal": py_str(name),
            "text": one_line(name),
            "criteria": [one_line(c) for c in crit],
            "loop": name in loops,
        }
        for name, crit in found.items()
    }


def _role_imports(plan: Node) -> list[str]:
    """What workflow.py imports from the runtime's role combinators (checks, guardrails)."""
    rails = {
        id(rail)
        for node in plan.walk()
        if node.pattern == "parallel-sectioning" and node.params.get("role") in ("guard", "check")
        for rail in (node.children[1:] if node.params.get("role") == "guard" else node.children)
    }
    names: set[str] = set()
    for node in plan.walk():
        role = node.params.get("role")
        if node.pattern == "parallel-sectioning" and role == "check":
            names.update({"guarded", "passthrough"})
        elif role == "guard":
            names.add("guarded")
        elif role == "check" and node.pattern in ("single-call", CODE) and id(node) not in rails:
            names.add("check")
        if role == "check" and node.pattern == "single-call":
            names.add("Verdict")  # a model check answers with a verdict
    if labelled_steps(plan):
        names.add("labelled")
    return sorted(names, key=lambda n: (not n[0].isupper(), n))


def labelled_steps(plan: Node) -> list[str]:
    """Chain members that classify with a step after them (a classify step, or a vote on one):
    the template wires them `labelled`, so the next step gets the artifact and the label."""
    found: list[str] = []
    for chain in (n for n in plan.walk() if n.pattern == "prompt-chaining"):
        for child in chain.children[:-1]:
            inner = child.children[0] if child.pattern == "parallel-voting" else child
            if inner.pattern == "single-call" and inner.params.get("role") == "classify":
                found.append(child.name)
    return found


def _about(node: Node, criteria: list[str], *, tools: list[str]) -> list[str]:
    """What a node's own model step must know: its labels, workers, branches, criteria, tools."""
    if node.pattern == "evaluator-optimizer":
        return criteria
    if node.pattern == "agent-loop":
        return tools
    if node.pattern == "parallel-sectioning":  # a check beside the branches is no section
        return [child.name for child in node.children if child.params.get("role") != "check"]
    return [child.name for child in node.children]


def render(spec: ProjectSpec, dest: Path, *, published: Published | None = None) -> Path:
    """Render the project into `dest` (created; it should not exist or be empty)."""
    published = published or publish()
    return render_data(copier_data(spec), dest, published=published)


def render_data(data: Mapping[str, Any], dest: Path, *, published: Published) -> Path:
    """Run copier on prepared data (the answers of copier.yml) from a published template."""
    from copier import run_copy
    from copier.errors import CopierError
    from jinja2 import TemplateError

    try:
        with warnings.catch_warnings():
            # copier warns about its own settings file and dirty templates; the store is clean
            warnings.simplefilter("ignore", DeprecationWarning)
            run_copy(
                str(published.path),
                dest,
                data=dict(data),
                vcs_ref=published.tag,
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=False,
            )
    except (CopierError, TemplateError) as exc:
        raise Failure(f"rendering the template failed: {exc}") from exc
    prune(dest, str(data["package"]))  # vendor only the runtime modules the project imports
    return dest


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-like data copier can record in `.copier-answers.yml`."""
    import json

    return dict(json.loads(json.dumps(dict(value), default=str)))
