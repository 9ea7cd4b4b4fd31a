"""The same task on neighbouring rungs of the ladder (and as an agent loop), priced alike.

Each alternative is a canonical plan of that pattern, as wide as the calls one request of the
estimated plan makes (steps, handlers, branches or worker types), on the default model, with
the catalog's step kinds and loop lengths, walked by the same cost model. Where the catalog
holds a published multiplier (an agent is ~4x the tokens of a chat), the note says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import catalog
from ..plan import Node, PatternId
from ..settings import Settings
from .engine import plan_figures
from .figures import Alternative, Estimate


def canonical(pattern: PatternId, width: int) -> Node:
    """A plain plan of `pattern` with `width` steps, handlers, branches or worker types."""
    leaves = [
        Node(pattern="single-call", name=f"step_{i + 1}", steps=[f"step_{i + 1}"])
        for i in range(width)
    ]
    d = catalog.DEFAULTS
    # Voting and refinement repeat or revise the whole task, which is `width` calls wide.
    task = Node(pattern="prompt-chaining", name="task", children=leaves) if width > 1 else leaves[0]
    if pattern == "single-call":
        return Node(pattern=pattern, name="task", steps=["task"])
    if pattern == "prompt-chaining":
        return Node(pattern=pattern, name="chain", children=leaves)
    if pattern == "routing":
        return Node(pattern=pattern, name="route", steps=["classify"], children=leaves)
    if pattern == "parallel-sectioning":
        return Node(pattern=pattern, name="sections", steps=["merge"], children=leaves)
    if pattern == "parallel-voting":
        return Node(pattern=pattern, name="vote", children=[task], params={"n": d.votes})
    if pattern == "orchestrator-workers":
        params = {"max_workers": d.max_workers, "expected_workers": d.expected_workers}
        return Node(
            pattern=pattern,
            name="orchestrate",
            steps=["plan", "synthesize"],
            children=leaves,
            params=params,
        )
    if pattern == "evaluator-optimizer":
        params = {"max_rounds": d.max_rounds, "expected_rounds": d.expected_rounds}
        return Node(
            pattern=pattern, name="refine", steps=["evaluate"], children=[task], params=params
        )
    params = {"max_steps": d.max_steps, "expected_steps": d.expected_steps}
    return Node(pattern="agent-loop", name="agent", steps=["agent"], params=params)


def neighbours(pattern: str) -> list[PatternId]:
    """Patterns one rung below and above, plus the agent loop; never the pattern itself."""
    here = catalog.PATTERNS[pattern].rung if pattern in catalog.PATTERNS else 0
    near = [p.id for p in catalog.ladder() if abs(p.rung - here) == 1 or p.id == "agent-loop"]
    return [p for p in near if p != pattern]


def alternatives(
    settings: Settings, prompts: Mapping[str, str], size: int, est: Estimate
) -> list[Alternative]:
    """Expected cost per request and per month of each neighbouring pattern."""
    # As wide as the work one request does now: a routed desk of 3-step chains is 4 calls.
    width = max(2, round(est.logical_calls))
    median = _median_prompt(prompts)
    out = []
    for pattern in neighbours(est.pattern):
        plan = canonical(pattern, width)
        alt_settings = settings.model_copy(
            update={
                "pattern": pattern,
                "plan": plan,
                "models": settings.models.model_copy(update={"steps": {}}),
                "max_tokens": {},
            }
        )
        alt_prompts = {s: median for s in plan.all_steps()}
        figures = plan_figures(
            alt_settings, alt_prompts, volume=est.volume_per_day, input_tokens=size
        )
        out.append(
            Alternative(
                pattern=pattern,
                rung=catalog.PATTERNS[pattern].rung,
                expected_usd=figures.total.usd_exp,
                monthly_usd=figures.monthly_usd,
                note=_note(pattern, width),
            )
        )
    return out


def _median_prompt(prompts: Mapping[str, str]) -> str:
    """The plan's median prompt, so every alternative step carries like instructions."""
    if not prompts:
        return ""
    ordered = sorted(prompts.values(), key=len)
    return ordered[len(ordered) // 2]


def _note(pattern: PatternId, width: int) -> str:
    info = catalog.PATTERNS[pattern]
    text = f"{info.calls}; width {width}"
    for m in info.multipliers:
        text += f"; {m.applies_to}: ~{m.factor:g}x {m.baseline} (practitioner estimate)"
    return text
