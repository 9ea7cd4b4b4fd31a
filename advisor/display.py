"""Rich terminal output: a recommendation, the composition as a small diagram, the catalog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from runtime.catalog import PATTERNS, ladder
from runtime.chart import money
from runtime.plan import Node

from .costs import alternatives, usd_by_pattern
from .recommendation import Recommendation

# What a node does, in a few words, next to its name in the diagram.
_ROLE = {
    "single-call": "one call",
    "prompt-chaining": "in order",
    "routing": "classify, then one handler",
    "parallel-sectioning": "at once",
    "parallel-voting": "n votes",
    "orchestrator-workers": "plan, workers, synthesize",
    "evaluator-optimizer": "generate, evaluate, revise",
    "agent-loop": "tools in a loop",
}

_SHOWN_PARAMS = ("by", "fallback", "n", "threshold", "max_workers", "max_rounds", "max_steps")


def show_recommendation(
    rec: Recommendation, console: Console, usd: Mapping[str, float | None] | None = None
) -> None:
    """The whole recommendation: pattern, diagram, reasons, warnings, rejected, calls, models.

    `usd` is dollars per request by pattern (`costs.usd_by_pattern`), computed if not given.
    """
    usd = usd if usd is not None else usd_by_pattern(alternatives(rec))
    console.print(_headline(rec))
    console.print(Panel(composition_tree(rec.composition), title="workflow", expand=False))
    calls = rec.calls_per_request
    console.print(
        f"[bold]calls per request[/]: {calls.expected:g} expected, {calls.worst} worst "
        f"(under the caps), {calls.critical_path:g} on the critical path; "
        f"[bold]{dollars(usd[rec.pattern])}[/] expected per request "
        "[dim](`wfadvise estimate` breaks it down)[/]"
    )
    _bullets(console, "why", rec.reasons, "green")
    _bullets(console, "warnings", rec.warnings, "yellow")
    console.print(_rejected_table(rec, usd))
    console.print(_models_table(rec))


def _headline(rec: Recommendation) -> Panel:
    info = PATTERNS[rec.pattern]
    title = f"[bold]{info.title}[/] ([cyan]{rec.pattern}[/], rung {info.rung})"
    lines = [title, escape(info.summary), "uses: " + ", ".join(rec.uses)]
    if rec.override is not None:
        lines.append(f"[yellow]your pick; the answers lead to {rec.natural_pattern}[/]")
    return Panel("\n".join(lines), title="recommendation", expand=False)


def composition_tree(node: Node) -> Tree:
    """The composition as a terminal tree: each node's name, pattern, own steps and caps."""
    tree = Tree(_label(node))
    _add_children(tree, node)
    return tree


def _add_children(branch: Tree, node: Node) -> None:
    for child in node.children:
        _add_children(branch.add(_label(child)), child)


def _label(node: Node) -> str:
    name = escape(node.name)
    if node.pattern == "single-call":
        return f"[bold]{name}[/]"
    own = f" · steps: {', '.join(node.steps)}" if node.steps else ""
    caps = ", ".join(f"{k}={v}" for k, v in node.params.items() if k in _SHOWN_PARAMS)
    caps_text = f" · {escape(caps)}" if caps else ""
    return f"{name} [cyan]{node.pattern}[/] [dim]({_ROLE[node.pattern]}{own}{caps_text})[/]"


def _bullets(console: Console, title: str, items: list[str], colour: str) -> None:
    if not items:
        return
    console.print(f"[bold {colour}]{title}[/]")
    for item in items:
        console.print(f"  • {escape(item)}")


def dollars(usd: float | None) -> str:
    """Dollars per request, or why there is no figure."""
    return "no price known" if usd is None else money(usd)


def _rejected_table(rec: Recommendation, usd: Mapping[str, float | None]) -> Table:
    table = Table(title="not chosen", show_lines=False, title_justify="left")
    table.add_column("pattern", style="cyan", no_wrap=True)
    table.add_column("calls exp/worst", justify="right", no_wrap=True)
    table.add_column("$/request", justify="right", no_wrap=True)
    table.add_column("why not")
    for item in rec.rejected:
        calls = item.calls_per_request
        figures = f"{calls.expected:g}/{calls.worst}" if calls else "-"
        table.add_row(item.pattern, figures, dollars(usd[item.pattern]), escape(item.why))
    return table


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
