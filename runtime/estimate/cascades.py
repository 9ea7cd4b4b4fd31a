"""A cascade's break-even: the escalation rate below which trying the cheap model first costs
less than always asking the strong one (cheap + check + r x strong < strong)."""

from __future__ import annotations

from ..plan import Node
from .calibrate import Calibration
from .costmodel import Context, Size
from .costwalk import cascade_parts, escalation
from .figures import BreakEven


def is_cascade(node: Node) -> bool:
    """A routing node whose tier is decided by a cascade (`difficulty.by: cascade`)."""
    return node.pattern == "routing" and node.params.get("by") == "cascade"


def tuned_escalation(node: Node, cal: Calibration | None) -> float | None:
    """The escalation rate traces measured for a cascade node (None: not a cascade, or unseen)."""
    if cal is None or not is_cascade(node):
        return None
    seen = cal.escalations.get(node.name)
    return None if seen is None else seen.rate


def break_evens(
    ctx: Context, plan: Node, input_tokens: int, cal: Calibration | None
) -> list[BreakEven]:
    """Per cascade in the plan: its parts' expected dollars and its escalation rate."""
    inp = Size(float(input_tokens), float(input_tokens))
    out: list[BreakEven] = []
    for node in plan.walk():
        if not is_cascade(node):
            continue
        learned = tuned_escalation(node, cal)
        _, easy, check, hard = cascade_parts(ctx, node, inp)
        out.append(
            BreakEven(
                name=node.name,
                cheap_usd=easy.cost.total.usd_exp,
                check_usd=check.cost.total.usd_exp,
                strong_usd=hard.cost.total.usd_exp,
                expected_escalation=escalation(node) if learned is None else learned,
                measured=learned is not None,
            )
        )
    return out


def break_even_line(b: BreakEven) -> str:
    """A cascade's break-even in words, with the figures it comes from."""
    where = "" if b.name == "cascade" else f" {b.name}"
    source = "measured in traces" if b.measured else "assumed: expected_escalation"
    parts = f"${b.cheap_usd:.4g} cheap + ${b.check_usd:.4g} check vs ${b.strong_usd:.4g} strong"
    if b.rate <= 0:
        return (
            f"cascade{where}: never cheaper than the strong model alone ({parts} per request); "
            "use a cheaper easy model or a code check"
        )
    verdict = "pays" if b.pays else "does NOT pay"
    return (
        f"cascade{where}: break-even escalation rate {b.rate:.0%} ({parts} per request); "
        f"{b.expected_escalation:.0%} escalate ({source}), so it {verdict} against always "
        "using the strong model"
    )
