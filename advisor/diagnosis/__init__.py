"""The escalation-ladder diagnosis: answers in, the simplest composition that fits out.

By job: `compose` builds the tree, `explain` reads the reasons back from it, `advice` warns
from the answers and the numbers, `parameters` picks models and caps, `overrides` rewrites the
answers for another pattern. Call counts are computed once per recommendation.
"""

from __future__ import annotations

from runtime.plan import Node, PatternId

from ..answers import Answers
from ..calls import CallCount, count_calls, per_turn
from ..recommendation import (
    CallsPerRequest,
    Recommendation,
    UsdPerRequest,
    conversation_settings,
)
from . import advice, explain
from .compose import Built, build
from .overrides import force, override_warning, rejected
from .parameters import params
from .tree import primary_pattern, uses

__all__ = ["diagnose", "force", "primary_pattern", "uses"]


def diagnose(answers: Answers, override: PatternId | None = None) -> Recommendation:
    """Recommend the simplest composition for `answers` (or build the `override` pattern)."""
    override = override or answers.override
    natural = build(answers)
    natural_pattern = primary_pattern(natural.tree)
    built, shown, first = natural, answers, []
    if override is not None and override != natural_pattern:
        shown = force(answers, override)
        built = build(shown)
        first = [f"You picked {override}; your answers lead to {natural_pattern}."]
        built.warnings.append(override_warning(answers, natural.tree, built.tree, override))
    calls = count_calls(built.tree)
    if shown.conversation:  # a chat turn: the state update and the amortised summary too
        calls = per_turn(calls, conversation_settings(shown).summarize_after)
    warnings = [*built.warnings, *advice.structural(shown, built.tree, calls)]
    reasons = first + explain.reasons(shown, built.tree)
    rec = _recommend(answers, built, calls, reasons, warnings, natural_pattern, override)
    usd, worst_calls, extra = _dollars(rec, built)
    warnings = [*rec.warnings, *extra]
    update = {"warnings": warnings, "usd_per_request": usd, "worst_calls": worst_calls}
    return rec.model_copy(update=update)


def _dollars(
    rec: Recommendation, built: Built
) -> tuple[UsdPerRequest | None, float | None, list[str]]:
    """Dollars per request (the estimate engine on the prompt files the project will have, as
    `wfadvise estimate --answers` and the untouched project's estimate run it), the worst calls
    with retries and repairs, and the advice they lead to: a budget below the cost, a
    difficulty split that does not pay."""
    from runtime.errors import UnknownPriceError
    from runtime.estimate import estimate_settings
    from runtime.estimate.cascades import break_even_line

    from ..cascade_names import cascades
    from ..prompt_texts import prompt_texts
    from .budget_advice import budget_per_call, unpriced_budget, unpriced_models

    answers = rec.answers
    tiers = answers.difficulty
    settings = rec.settings()
    prompts = prompt_texts(rec)
    single = None
    max_usd = settings.limits.max_usd
    try:
        est = estimate_settings(settings, prompts, with_alternatives=False)
        usd = UsdPerRequest(expected=est.total.usd_exp, worst=est.worst("usd"))
        worst_calls = est.total.calls_worst
        models = {s: settings.models.for_step(s) for s in est.call_reserves}
        strong = {s for c in cascades(settings.plan).values() for s in c["hard"]}
        short = budget_per_call(
            max_usd, est.call_reserves, models, strong=strong, input_tokens=est.input_tokens
        )
        if est.cascades:  # the break-even against the strong model, not a routed split
            lines = [break_even_line(b) for b in est.cascades]
            return usd, worst_calls, [*advice.money(answers, usd.expected, None), *short, *lines]
        if tiers is not None and built.tier_models:
            steps = dict(settings.models.steps) | {s: tiers.hard for s in built.tier_models}
            alone = settings.model_copy(
                update={"models": settings.models.model_copy(update={"steps": steps})}
            )
            one = estimate_settings(alone, prompts, with_alternatives=False)
            router = set(rec.composition.steps)  # without the split there is no classify call
            single = one.total.usd_exp - sum(f.usd for f in one.steps if f.step in router)
    except UnknownPriceError:
        return None, None, unpriced_budget(max_usd, unpriced_models(settings))
    return usd, worst_calls, [*advice.money(answers, usd.expected, single), *short]


def _recommend(
    answers: Answers,
    built: Built,
    calls: CallCount,
    reasons: list[str],
    warnings: list[str],
    natural: PatternId,
    override: PatternId | None,
) -> Recommendation:
    tree: Node = built.tree
    chosen = params(answers, tree, calls.worst, built.tier_models, warnings)
    return Recommendation(
        pattern=primary_pattern(tree),
        uses=uses(tree),
        composition=tree,
        reasons=reasons,
        rejected=rejected(answers, tree, calls, natural, override),
        warnings=list(dict.fromkeys(warnings)),
        calls_per_request=CallsPerRequest(
            expected=calls.expected, worst=calls.worst, critical_path=calls.critical_path
        ),
        params=chosen,
        answers=answers,
        override=override if override != natural else None,
        natural_pattern=natural,
    )
