"""Dollars per request for a recommendation and for every pattern it could have been.

The figures come from the estimate engine (prices read as data, no litellm import) on each
pattern's own plan and on the prompt texts its project will have (`prompt_texts`, the template's
prompt files rendered in memory): what `wfadvise estimate --answers` shows, and what the
untouched generated project's own `estimate` shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from runtime.errors import UnknownPriceError
from runtime.estimate import Estimate, estimate_settings
from runtime.plan import PATTERN_IDS

from .diagnose import diagnose
from .prompt_texts import prompt_texts
from .recommendation import Recommendation


def priced(rec: Recommendation) -> Estimate:
    """The engine's figures for `rec`'s project (raises UnknownPriceError for an unpriced model)."""
    return estimate_settings(rec.settings(), prompt_texts(rec), with_alternatives=False)


def expected_usd(rec: Recommendation) -> float | None:
    """Expected dollars per request; None when a model has no known price."""
    if rec.usd_per_request is not None:  # the diagnosis priced it already, the same way
        return rec.usd_per_request.expected
    try:
        return priced(rec).total.usd_exp
    except UnknownPriceError:
        return None


def worst_calls(rec: Recommendation) -> int | None:
    """Most model calls a request can make with transport retries and output repairs, capped
    by the run's limits: `wfadvise estimate`'s worst (per_request.worst_calls). The
    recommendation's own `calls_per_request.worst` counts the designed calls only. None when
    a model has no known price (the engine needs prices) or nothing bounds the calls."""
    worst = rec.worst_calls  # the diagnosis priced it already, the same way
    if worst is None and rec.usd_per_request is None:
        try:
            worst = priced(rec).total.calls_worst
        except UnknownPriceError:
            return None
    return int(worst) if worst is not None and math.isfinite(worst) else None


def alternatives(rec: Recommendation) -> dict[str, Recommendation]:
    """The recommendation had each pattern been chosen for the same answers (`rec` for its own)."""
    return {
        pattern: rec if pattern == rec.pattern else diagnose(rec.answers, override=pattern)
        for pattern in PATTERN_IDS
    }


def usd_by_pattern(alts: Mapping[str, Recommendation]) -> dict[str, float | None]:
    """Expected dollars per request of each alternative."""
    return {pattern: expected_usd(alt) for pattern, alt in alts.items()}
