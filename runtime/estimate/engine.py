"""The figures of one plan: per-step facts, one request's walk (tuned by traces), the run's
limits applied to the worst case, and the assumptions in words. Alternatives are added by
`project.py`; nothing here imports litellm (prices are read as data)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

from .. import catalog
from ..caps import DEFAULT_MAX_TOKENS, MAX_REPAIRS
from ..model_calls.budget import with_margin
from ..model_calls.prices import PriceBook, map_entry
from ..model_calls.tokens import approx_count
from ..plan import Node
from ..settings import ConversationSettings, Settings
from .calibrate import Calibration
from .cascades import break_even_line, break_evens, tuned_escalation
from .costmodel import Context, Cost, Size, StepFacts, Tally
from .costwalk import walk
from .errors import TraceError, UnknownModelPrice
from .figures import (
    DEFAULT_PROMPT_TOKENS,
    LATENCY_BASE_S,
    REASONING_FACTOR,
    SCHEMA_TOKENS,
    STRUCTURED_KINDS,
    TOKENS_PER_S,
    TOOL_SCHEMA_TOKENS,
    Estimate,
    StepFigures,
)
from .turns import CONVERSATION_KINDS, assumption, conversation_prompts, walk_turn


def plan_figures(
    settings: Settings,
    prompts: Mapping[str, str],
    *,
    volume: int | None = None,
    input_tokens: int | None = None,
    calibration: Calibration | None = None,
) -> Estimate:
    """The estimate for settings plus prompt texts (keyed by step name), no alternatives."""
    size = input_tokens if input_tokens is not None else settings.input_tokens
    book = PriceBook(settings.prices)
    conv = settings.conversation
    if conv is not None:  # a chat project: priced per turn, its own steps' defaults included
        prompts = conversation_prompts(prompts)
    facts = step_facts(settings, prompts, book)
    if calibration is not None and not set(calibration.steps) & set(facts):
        raise TraceError(
            f"the traces ({', '.join(calibration.files)}) name none of this plan's steps "
            f"({', '.join(facts)}); pass traces of this project's runs"
        )
    ctx = _context(settings, facts, calibration)
    cost = walk_request(ctx, settings.plan, size, calibration, conv)
    est = Estimate(
        pattern=settings.pattern,
        prices={f.model: f.price for f in facts.values()},
        steps=_step_figures(settings, cost, facts, calibration),
        total=cost.total,
        logical_calls=cost.logical_exp,
        logical_worst=cost.logical_worst,
        critical_path_calls=cost.critical_calls,
        latency_s=cost.latency_s,
        volume_per_day=volume if volume is not None else settings.volume_per_day,
        input_tokens=size,
        calibration=calibration,
        unit="request" if conv is None else "turn",
    )
    est.cascades = break_evens(ctx, settings.plan, size, calibration)
    est.call_reserves = call_reserves(cost, facts, size)
    _cap_worst(est, settings)
    est.assumptions = assumptions(settings, facts, calibration, size)
    est.assumptions += [break_even_line(b) for b in est.cascades]
    return est


def _context(
    settings: Settings, facts: Mapping[str, StepFacts], calibration: Calibration | None
) -> Context:
    measured = {} if calibration is None else dict(calibration.steps)
    return Context(
        facts=facts,
        max_attempts=settings.max_attempts,
        expected_loop=_expected_loop,
        measured={k: v for k, v in measured.items() if k in facts},
    )


def _expected_loop(node: Node, key: str) -> float:
    """The catalog's typical loop length for a node that does not give its own."""
    return float(getattr(catalog.DEFAULTS, key))


def step_facts(
    settings: Settings, prompts: Mapping[str, str], book: PriceBook
) -> dict[str, StepFacts]:
    """Per-call facts for every model step of the plan."""
    kinds = catalog.step_kinds(settings.plan)
    if settings.conversation is not None:
        kinds |= CONVERSATION_KINDS
    tools = {
        n.steps[0]: n.params.get("tools") for n in settings.plan.walk() if n.pattern == "agent-loop"
    }
    facts: dict[str, StepFacts] = {}
    for step, kind in kinds.items():
        model = settings.models.for_step(step)
        price = book.price(model)
        if price is None:
            raise UnknownModelPrice(model, step)
        info = catalog.STEP_KINDS[kind]
        cap = settings.max_tokens.get(step, DEFAULT_MAX_TOKENS)  # what run.call uses
        visible = min(info.typical_output_tokens, cap)
        structured = kind in STRUCTURED_KINDS
        text = prompts.get(step)
        listed = tools.get(step)
        n_tools = len(listed) if isinstance(listed, list) else 0
        facts[step] = StepFacts(
            step=step,
            model=model,
            price=price,
            prompt_tokens=approx_count(text) if text is not None else DEFAULT_PROMPT_TOKENS,
            prompt_tokens_worst=len(text.encode()) if text is not None else DEFAULT_PROMPT_TOKENS,
            output_tokens=visible,
            max_tokens=cap,
            reasoning_tokens=_reasoning(model, visible, cap),
            structured=structured,
            extra_prompt_tokens=(SCHEMA_TOKENS if structured else 0) + TOOL_SCHEMA_TOKENS * n_tools,
            latency_s=LATENCY_BASE_S
            + min(cap, visible + _reasoning(model, visible, cap)) / TOKENS_PER_S,
        )
    return facts


def reasons(model: str) -> bool:
    """Whether the model emits hidden reasoning tokens (litellm's price map says so)."""
    entry = map_entry(model) or {}
    return bool(entry.get("supports_reasoning"))


def _reasoning(model: str, visible: float, cap: int) -> float:
    if not reasons(model):
        return 0.0
    return max(0.0, min(REASONING_FACTOR * visible, cap - visible))


def walk_request(
    ctx: Context,
    plan: Node,
    input_tokens: int,
    calibration: Calibration | None,
    conversation: ConversationSettings | None = None,
) -> Cost:
    """One request's (or chat turn's) cost; with traces, loop lengths and route shares are
    learned first."""
    inp = Size(float(input_tokens), float(input_tokens))

    def cost_of(context: Context, tree: Node) -> Cost:
        if conversation is None:
            return walk(context, tree, inp).cost
        return walk_turn(context, tree, inp, conversation)

    first = cost_of(ctx, plan)
    if calibration is None:
        return first
    tuned_plan, weights = _tune(plan, first, calibration)
    second = cost_of(replace(ctx, weights=weights), tuned_plan)
    return _rescale(second, calibration)


def _tune(plan: Node, cost: Cost, cal: Calibration) -> tuple[Node, dict[str, list[float]]]:
    """Loop lengths and route shares scaled to what the traces measured."""
    weights: dict[str, list[float]] = {}

    def ratio(steps: Sequence[str]) -> float | None:
        assumed = sum(cost.steps[s].calls_exp for s in steps if s in cost.steps)
        seen = sum(cal.calls_per_run(s) for s in steps)
        return None if assumed <= 0 or not any(s in cal.steps for s in steps) else seen / assumed

    def tune(node: Node) -> Node:
        children = [tune(c) for c in node.children]
        params = dict(node.params)
        key, body = _loop_body(node)
        r = ratio(body) if key else None
        if key and r is not None:
            params[key] = float(params.get(key) or _expected_loop(node, key)) * r  # type: ignore[arg-type]
        items = cal.item_counts.get(node.name) if node.params.get("each") else None
        most = node.params.get("max_items")
        if items is not None:  # the map's fan-out as traced, each input cut at the cap
            params["expected_items"] = items.within(most) if isinstance(most, int) else items.found
        plans = cal.worker_counts.get(node.name) if node.pattern == "orchestrator-workers" else None
        cap = node.params.get("max_workers")
        if plans is not None and isinstance(cap, int):  # the plans as traced, each cut at the cap
            params["expected_workers"] = plans.within(cap)
        waves = cal.waves.get(node.name) if node.params.get("dependencies") else None
        if waves is not None:  # the plans' depth, as the traces counted it
            params["expected_waves"] = waves
        learned = tuned_escalation(node, cal)
        if learned is not None:
            params["expected_escalation"] = learned
        elif node.pattern == "routing":
            shares = [ratio(c.all_steps()) or 0.0 for c in node.children]
            if sum(shares) > 0:
                weights[node.name] = [s / sum(shares) for s in shares]
        return node.model_copy(update={"children": children, "params": params})

    return tune(plan), weights


def _loop_body(node: Node) -> tuple[str | None, list[str]]:
    """A loop node's expected-length param and the steps whose calls count its passes."""
    if node.pattern == "evaluator-optimizer":
        return "expected_rounds", list(node.steps)
    if node.pattern == "agent-loop":
        return "expected_steps", list(node.steps)
    if node.pattern == "orchestrator-workers":
        return "expected_workers", [s for c in node.children for s in c.all_steps()]
    return None, []


def _rescale(cost: Cost, cal: Calibration) -> Cost:
    """Measured steps' expected calls set to what the traces saw; totals follow."""
    for name, tally in cost.steps.items():
        seen = cal.steps.get(name)
        target = seen.calls_per_run if seen else 0.0
        if tally.calls_exp > 0 and (seen or cal.runs):
            k = target / tally.calls_exp
            tally.calls_exp, tally.prompt_exp = target, tally.prompt_exp * k
            tally.completion_exp, tally.usd_exp = tally.completion_exp * k, tally.usd_exp * k
        if seen:  # a measured call bigger than the model's bound widens the bound
            tally.tokens_worst = max(
                tally.tokens_worst, seen.max_prompt_tokens + seen.max_completion_tokens
            )
    total = cost.total
    total.calls_exp = sum(t.calls_exp for t in cost.steps.values())
    total.prompt_exp = sum(t.prompt_exp for t in cost.steps.values())
    total.completion_exp = sum(t.completion_exp for t in cost.steps.values())
    total.usd_exp = sum(t.usd_exp for t in cost.steps.values())
    return cost


def _step_figures(
    settings: Settings, cost: Cost, facts: Mapping[str, StepFacts], cal: Calibration | None
) -> list[StepFigures]:
    kinds = catalog.step_kinds(settings.plan)
    if settings.conversation is not None:
        kinds |= CONVERSATION_KINDS
    rows = []
    for step in kinds:
        t = cost.steps.get(step, Tally())
        rows.append(
            StepFigures(
                step=step,
                model=facts[step].model,
                kind=kinds[step],
                calls=t.calls_exp,
                worst_calls=t.calls_worst,
                tokens=t.tokens_exp,
                worst_tokens=t.tokens_worst,
                usd=t.usd_exp,
                worst_usd=t.usd_worst,
                measured=cal is not None and step in cal.steps,
            )
        )
    return rows


def call_reserves(cost: Cost, facts: Mapping[str, StepFacts], size: int) -> dict[str, float]:
    """Per model step, what the budget reserves before one call (as `Attempts._reserve` does):
    max_tokens at the output price plus the prompt, counted with the runtime's margin. The
    prompt is the step's mean expected one per call (its own text plus an input of the assumed
    size where it is never expected to run): the least a typical call reserves."""
    out: dict[str, float] = {}
    for step, f in facts.items():
        t = cost.steps.get(step)
        per_call = t.prompt_exp / t.calls_exp if t is not None and t.calls_exp > 0 else None
        prompt = per_call if per_call is not None else f.prompt_tokens + size
        out[step] = f.price.cost(with_margin(prompt), f.max_tokens)
    return out


def _cap_worst(est: Estimate, settings: Settings) -> None:
    """The run's own limits cap every run, whatever the caps inside the plan allow."""
    lim, t = settings.limits, est.total
    if math.isinf(t.tokens_worst):
        est.unbounded.append(
            "an agent's tool results have no size cap, so tokens and dollars are bounded only "
            "by the run's limits (set max_usd or max_tokens, or the agent's max_tool_result_tokens)"
        )
    if lim.max_calls is not None and t.calls_worst > lim.max_calls:
        t.calls_worst = float(lim.max_calls)
        est.capped_by.append(f"max_calls={lim.max_calls}")
    dearest = max(
        max(p.output_per_mtok, p.input_per_mtok, p.reasoning_per_mtok or 0.0)
        for p in est.prices.values()
    )
    cheapest = min(min(p.output_per_mtok, p.input_per_mtok) for p in est.prices.values())
    if lim.max_tokens is not None and t.tokens_worst > lim.max_tokens:
        t.tokens_worst = float(lim.max_tokens)
        est.capped_by.append(f"max_tokens={lim.max_tokens}")
    if lim.max_tokens is not None:
        t.usd_worst = min(t.usd_worst, lim.max_tokens * dearest / 1e6)
    if lim.max_usd is not None and t.usd_worst > lim.max_usd:
        t.usd_worst = lim.max_usd
        est.capped_by.append(f"max_usd={lim.max_usd:g}")
    if lim.max_usd is not None and cheapest > 0:
        t.tokens_worst = min(t.tokens_worst, math.floor(lim.max_usd / cheapest * 1e6))
    est.steps = [_within(step, t) for step in est.steps]


def _within(step: StepFigures, total: Tally) -> StepFigures:
    """A step's worst is its own bound (the most that step can take in one request), so it never
    passes the whole request's: the run's limits cap that step's calls too. Steps' worsts are
    not additive: each is one step's worst, not all of them in one run."""
    return replace(
        step,
        worst_calls=min(step.worst_calls, total.calls_worst),
        worst_tokens=min(step.worst_tokens, total.tokens_worst),
        worst_usd=min(step.worst_usd, total.usd_worst),
    )


def assumptions(
    settings: Settings, facts: Mapping[str, StepFacts], cal: Calibration | None, size: int
) -> list[str]:
    """The assumptions behind the figures, in words a user can check."""
    out = [
        f"an input of {size} tokens (--input-tokens); "
        f"a step without a prompt file has a {DEFAULT_PROMPT_TOKENS}-token prompt",
        "expected sizes: the catalog's typical output per step kind; loops at their typical "
        "length (node params, else the catalog's defaults); route handlers equally likely",
        f"worst: every call fills max_tokens, every structured step takes {MAX_REPAIRS} "
        f"repairs, every attempt is retried up to max_attempts={settings.max_attempts} and "
        "billed in full, every loop runs to its cap",
        f"latency: {LATENCY_BASE_S:g} s + output tokens at {TOKENS_PER_S:g} tokens/s per call on "
        "the critical path (parallel branches count once)",
        "prompt files: ~4 characters a token expected, at most one token a byte at worst "
        "(no tokenizer load, so estimate stays fast); "
        f"structured calls carry ~{SCHEMA_TOKENS} schema tokens; agent turns "
        f"~{TOOL_SCHEMA_TOKENS} per tool schema",
    ]
    thinkers = sorted({f.model for f in facts.values() if reasons(f.model)})
    if thinkers:
        out.append(
            f"reasoning models ({', '.join(thinkers)}): ~{REASONING_FACTOR:g} hidden reasoning "
            "tokens per visible output token, billed as output; max_tokens bounds both"
        )
    if settings.conversation is not None:
        out.append(assumption(settings.conversation))
    if cal is not None:
        out.append(
            f"measured from {cal.runs} traced run(s): per-step prompt and output sizes, calls "
            "per run (loop lengths, route shares) and latency replace the assumptions"
        )
    return out
