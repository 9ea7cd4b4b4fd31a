"""Rich terminal output: a recommendation, the composition as a small diagram, the catalog.

A recommendation fits one 80x45 screen: the verdict, the diagram, the reasons, the cost. What
was turned down, and the per-step table, come with `details=True` (`recommend --details`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from runtime.estimate import DAYS_PER_MONTH
from runtime.estimate.chart import money
from runtime.plan import Node

from .costs import alternatives, usd_by_pattern, worst_calls
from .pattern_guide import PATTERNS, ladder
from .recommendation import Recommendation

MAX_TREE_LINES = 16
"""Diagram lines on the main screen; deeper parts are summarised (details show them all)."""


def show_recommendation(
    rec: Recommendation,
    console: Console,
    usd: Mapping[str, float | None] | None = None,
    *,
    details: bool = False,
    more_hint: str = "--details says why",
) -> None:
    """The recommendation on one screen; `details` adds what was turned down and every step.

    `usd` is dollars per request by pattern (`costs.usd_by_pattern`), computed if not given.
    """
    usd = usd if usd is not None else usd_by_pattern(alternatives(rec))
    console.print(_headline(rec))
    console.print(composition_tree(rec.composition, max_lines=None if details else MAX_TREE_LINES))
    console.print()
    _bullets(console, "why", rec.reasons, "green")
    _bullets(console, "warnings", rec.warnings, "yellow")
    console.print()
    console.print(_cost_line(rec, usd[rec.pattern]))
    console.print(_models_line(rec))
    if details:
        console.print()
        _rejected(console, rec, usd)
        console.print(_models_table(rec))
    elif rec.rejected:
        names = ", ".join(item.pattern for item in rec.rejected)
        console.print(f"[dim]not chosen ({more_hint}): {names}[/]")


def _headline(rec: Recommendation) -> Panel:
    info = PATTERNS[rec.pattern]
    inner = [p for p in rec.uses if p != rec.pattern]
    title = f"[bold]{info.title}[/] ([cyan]{rec.pattern}[/], rung {info.rung})"
    if inner:
        title += " with " + ", ".join(inner)
    lines = [title, escape(info.summary)]
    if rec.override is not None:
        lines.append(f"[yellow]your pick; your answers lead to {rec.natural_pattern}[/]")
    return Panel("\n".join(lines), title="recommendation", title_align="left", expand=False)


def _cost_line(rec: Recommendation, usd: float | None) -> str:
    calls = rec.calls_per_request
    unit = "turn" if rec.answers.conversation else "request"  # a chat is priced per turn
    text = (
        f"[bold]cost[/]: {_n_calls(calls.expected)} per {unit} "
        f"({_worst_calls(calls.worst, worst_calls(rec))}; "
        f"{calls.critical_path:g} one after another), "
    )
    if usd is None:
        return text + "no price known for a model (give one under `prices` in settings.json)"
    volume = rec.settings().volume_per_day
    return (
        text + f"[bold]{dollars(usd)}[/] a {unit}; about "
        f"{money(usd * volume * DAYS_PER_MONTH)} a month at {volume:,} a day"
    )


def _worst_calls(designed: int, with_retries: int | None) -> str:
    """Both worst cases, each named: the designed calls (recommend's `calls_per_request`) and
    `wfadvise estimate`'s worst, which adds transport retries and output repairs."""
    if with_retries is None:
        return f"at most {designed} as designed, more with retries and repairs"
    if with_retries <= designed:  # the run's max_calls bounds it all
        return f"at most {with_retries}, retries and repairs included"
    return f"at most {designed} as designed, {with_retries} with retries and repairs"


def _n_calls(n: float) -> str:
    return f"{n:g} call" if n == 1 else f"{n:g} calls"


def _models_line(rec: Recommendation) -> str:
    by_model = Counter(rec.params.models.values())
    if len(by_model) == 1:
        model = next(iter(by_model))
        return f"[bold]model[/]: {escape(model)} for every step"
    parts = []
    for model, count in by_model.most_common():
        steps = [s for s, m in rec.params.models.items() if m == model]
        named = ", ".join(steps[:2]) + (f" +{count - 2}" if count > 2 else "")
        parts.append(f"{escape(model)} ({escape(named)})")
    return "[bold]models[/]: " + "; ".join(parts)


def composition_tree(node: Node, *, max_lines: int | None = None) -> Tree:
    """The composition as a terminal tree; handlers shaped like an earlier one are one line.

    With `max_lines`, levels below the deepest one that fits are summarised on their parent.
    """
    depth = node.depth() + 1
    if max_lines is not None:
        while depth > 1 and _line_count(node, depth) > max_lines:
            depth -= 1
    tree = Tree(_label(node, depth))
    _add_children(tree, node, depth - 1)
    return tree


def _add_children(branch: Tree, node: Node, depth: int) -> None:
    for child, twin in _children(node):
        if twin is not None:
            branch.add(f"{escape(child.name)} [dim](the same as {escape(twin)})[/]")
        else:
            _add_children(branch.add(_label(child, depth)), child, depth - 1)


def _children(node: Node) -> list[tuple[Node, str | None]]:
    """Each child, with the name of an earlier sibling it repeats under another label."""
    seen: dict[object, str] = {}
    out: list[tuple[Node, str | None]] = []
    for child in node.children:
        shape = _shape(child, child.name) if child.children else None
        twin = seen.get(shape) if shape is not None else None
        if shape is not None and twin is None:
            seen[shape] = child.name
        out.append((child, twin))
    return out


def _shape(node: Node, label: str) -> object:
    """The node with its label's prefix taken off every step: equal shapes repeat one another."""
    steps = tuple(s.removeprefix(f"{label}_") for s in node.steps)
    params = tuple(sorted((k, str(v)) for k, v in node.params.items()))
    kids = tuple(_shape(c, label) for c in node.children)
    return (node.pattern, steps, params, kids)


def _line_count(node: Node, depth: int) -> int:
    if depth <= 1:
        return 1
    return 1 + sum(
        1 if twin is not None else _line_count(child, depth - 1) for child, twin in _children(node)
    )


def _label(node: Node, depth: int) -> str:
    name = escape(node.name)
    if node.pattern == "single-call":
        return f"[bold]{name}[/]"
    hidden = ""
    if depth <= 1 and node.children:
        inner = len(node.all_steps()) - len(node.steps)
        hidden = f"; {inner} steps inside, --details shows them"
    return f"{name} [cyan]{node.pattern}[/] [dim]({escape(_role(node))}{hidden})[/]"


def _role(node: Node) -> str:
    """What a node does, in a few words, with its caps."""
    p = node.params
    own = ", ".join(node.steps)
    roles = {
        "prompt-chaining": "in order",
        "routing": f"{own} picks one handler; unsure inputs go to {p.get('fallback')}",
        "parallel-sectioning": "at once, " + ("a merge call joins them" if own else "code joins"),
        "parallel-voting": f"{p.get('n')} votes, the majority wins",
        "orchestrator-workers": f"a plan, up to {p.get('max_workers')} workers, a synthesis",
        "evaluator-optimizer": f"draft, {own or 'code checks'}, revise; "
        f"at most {p.get('max_rounds')} rounds",
        "agent-loop": f"tools in a loop; at most {p.get('max_steps')} steps",
    }
    if p.get("each"):
        return f"once per {p['each']}, at once; at most {p.get('max_items')}, joined in order"
    if p.get("dependencies"):
        return f"a plan, up to {p.get('max_workers')} workers in waves by dependency, a synthesis"
    if p.get("by") == "cascade":
        judge = own or "a code check"
        return f"easy first; {judge} sends answers below {p.get('threshold')} to hard"
    if p.get("role") == "guard":
        return "guardrails beside the step; any of them can veto its output"
    if node.pattern == "code":
        return "checked by code, no model call"
    return roles.get(node.pattern, "one call")


def _bullets(
    console: Console, title: str, items: list[str], colour: str, *, markup: bool = False
) -> None:
    """A titled list whose wrapped lines hang under the text, not under the bullet."""
    if not items:
        return
    console.print(f"[bold {colour}]{title}[/]")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right", no_wrap=True)
    grid.add_column()
    for item in items:
        grid.add_row("•", item if markup else escape(item))
    console.print(grid)


def dollars(usd: float | None) -> str:
    """Dollars per request, or why there is no figure."""
    return "no price known" if usd is None else money(usd)


def _rejected(console: Console, rec: Recommendation, usd: Mapping[str, float | None]) -> None:
    """Each pattern not chosen: its calls and dollars had it been chosen, and why not."""
    items = []
    for item in rec.rejected:
        calls = item.calls_per_request
        figures = f"{_n_calls(calls.expected)}, " if calls else ""
        items.append(
            f"[cyan]{item.pattern}[/] [dim]({figures}{dollars(usd[item.pattern])})[/]: "
            f"{escape(item.why)}"
        )
    _bullets(console, "not chosen", items, "red", markup=True)


def _models_table(rec: Recommendation) -> Table:
    table = Table(title="steps", title_justify="left")
    for column in ("step", "kind", "model", "max_tokens"):
        table.add_column(column, no_wrap=column != "model")
    for step, model in rec.params.models.items():
        kind = rec.params.step_kinds[step]
        table.add_row(escape(step), kind, escape(model), str(rec.params.max_tokens[step]))
    return table


def show_ladder(console: Console) -> None:
    """Every pattern as one table row, lowest rung first."""
    table = Table(title="the escalation ladder: climb only when the rung below cannot do it")
    for column in ("rung", "pattern", "summary", "calls per request"):
        table.add_column(column, no_wrap=column in ("rung", "pattern"))
    for info in ladder():
        table.add_row(str(info.rung), info.id, escape(info.summary), escape(info.calls))
    console.print(table)
    console.print("More on one pattern: wfadvise patterns ID (e.g. wfadvise patterns routing)")


def show_pattern(pattern: str, console: Console) -> None:
    """One pattern in depth: when, when not, cost, failure modes, multipliers, diagram."""
    info = PATTERNS[pattern]  # type: ignore[index]
    parts: list[str] = [escape(info.summary), ""]
    parts += _section("when", info.when)
    parts += _section("when not", info.when_not)
    parts += _section("calls per request", (info.calls, f"critical path: {info.critical_path}"))
    parts += _section("failure modes", info.failure_modes)
    if info.multipliers:
        notes = [
            f"~{m.factor:g}x the tokens of {m.baseline} for {m.applies_to} — {m.source_kind}"
            for m in info.multipliers
        ]
        parts += _section("cost multipliers (practitioner estimates)", notes)
    body = Group("\n".join(parts), Panel(escape(info.diagram), expand=False))
    title = f"{info.title} · {info.id} · rung {info.rung}"
    console.print(Panel(body, title=title, expand=False))


def _section(title: str, items: Sequence[str]) -> list[str]:
    return [f"[bold]{title}[/]", *(f"  • {escape(item)}" for item in items), ""]
