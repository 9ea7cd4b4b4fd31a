"""Warnings about a per-request budget the generated project cannot honour as planned: one
call of some step reserves more than the whole budget, or a model has no price to count with.

Beside `advice.py` (the other warnings from answers and numbers); both read the figures the
estimate engine made for the recommendation.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from runtime.catalog import step_kinds
from runtime.estimate.turns import CONVERSATION_KINDS
from runtime.model_calls.prices import PriceBook
from runtime.settings import Settings

from .advice import usd


def budget_per_call(
    max_usd: float | None,
    reserves: Mapping[str, float],
    models: Mapping[str, str],
    *,
    strong: Collection[str],
    input_tokens: int,
) -> list[str]:
    """A budget below what one call of some step reserves: the runtime holds a call's worst
    case (its max_tokens at the output price plus the prompt) before sending it, so every
    request that reaches that step stops there. `reserves` per step from the estimate
    (`Estimate.call_reserves`); `strong` are the steps of a cascade's strong tier."""
    if max_usd is None:
        return []
    short = {s: r for s, r in reserves.items() if r > max_usd * (1 + 1e-9)}
    if not short:
        return []
    order = sorted(short, key=lambda s: (-short[s], s))
    steps = ", ".join(f"{s} ({models.get(s, '?')}: about {usd(short[s])})" for s in order)
    one = len(order) == 1
    tier = (
        " The cascade's strong tier is among them: every escalation will be refused and the "
        "cheap answer kept."
        if set(strong) & set(short)
        else ""
    )
    return [
        f"Your budget of {usd(max_usd)} per request cannot cover one call of {steps}: before "
        "each call the budget holds its worst case (max_tokens at the output price plus the "
        f"prompt, here for a {input_tokens}-token input), so every request that reaches "
        f"{'it' if one else 'them'} stops there (exit 3).{tier} Raise budget_usd_per_request "
        f"to at least {usd(rounded_up(short[order[0]]))} (plus what the calls before it cost), "
        f"or give {'that step' if one else 'those steps'} a cheaper model or a lower max_tokens."
    ]


def rounded_up(amount: float, digits: int = 4) -> float:
    """`amount` rounded up to `digits` significant digits: a budget named as enough is."""
    if amount <= 0 or not math.isfinite(amount):
        return amount
    step = 10.0 ** (math.floor(math.log10(amount)) - digits + 1)
    return math.ceil(amount / step - 1e-9) * step


def unpriced_budget(max_usd: float | None, models: Collection[str]) -> list[str]:
    """A budget with a model nobody prices: the project cannot enforce it, so it refuses every
    run (exit 2) until the price is given in its settings.json."""
    if max_usd is None or not models:
        return []
    names = ", ".join(repr(m) for m in sorted(models))
    return [
        f"No price is known for model {names}, so the budget of {usd(max_usd)} per request "
        "cannot be enforced: the generated project refuses every run (exit 2, --mock too) "
        f"until you add {price_entry(models)} to PKG/settings.json (dollars per million "
        "tokens), or drop budget_usd_per_request."
    ]


def price_entry(models: Collection[str]) -> str:
    """The settings.json entry that prices `models`, values left for the user to fill in."""
    entries = ", ".join(
        f'"{m}": {{"input_per_mtok": ..., "output_per_mtok": ...}}' for m in sorted(models)
    )
    return f'"prices": {{{entries}}}'


def unpriced_models(settings: Settings) -> list[str]:
    """The models the project's steps call that neither settings.json nor the bundled price
    map prices (a run with a dollar budget refuses to start with any of them)."""
    book = PriceBook(settings.prices)
    steps = list(step_kinds(settings.plan))
    if settings.conversation is not None:
        steps += list(CONVERSATION_KINDS)
    models = {settings.models.for_step(step) for step in steps}
    return sorted(m for m in models if book.price(m) is None)
