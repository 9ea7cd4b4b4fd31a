"""The cost algebra behind `estimate`: calls, tokens, dollars and latency over a Node tree.

Every node is walked with the size of the input it receives (expected and worst, in tokens)
and returns the size of its output plus what it cost. Worst sizes follow what the runtime
enforces: `max_tokens` per call, the loop caps in node params, structured-output repairs and
transport attempts. Expected sizes follow typical outputs and loop lengths (or measured ones).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..caps import MAX_REPAIRS
from ..model_calls.budget import PROMPT_MARGIN
from ..model_calls.prices import Price
from ..model_calls.tokens import PER_MESSAGE, PER_REPLY
from ..plan import Node

MESSAGE_TOKENS = PER_MESSAGE
"""Chat-format overhead per message, as the runtime's token counter counts it."""
REPLY_TOKENS = PER_REPLY
"""Chat-format overhead for priming the reply, as the token counter counts it."""

REPAIR_NOTE_TOKENS = 400
"""Upper bound on the validation-error text a repair attempt adds to the prompt."""


@dataclass(frozen=True)
class Size:
    """A token count, as expected and at worst."""

    exp: float
    """Expected tokens."""
    worst: float
    """Most tokens possible under the caps."""
    shared: bool = False
    """Whether these tokens hold a conversation turn's input (see `Context.shared`)."""

    def __add__(self, other: Size) -> Size:
        return Size(self.exp + other.exp, self.worst + other.worst, self.shared or other.shared)


@dataclass(frozen=True, kw_only=True)
class StepFacts:
    """What one model step costs per call: its model, price, prompt and output sizes."""

    step: str
    """Step name."""
    model: str
    """litellm model string."""
    price: Price
    """The model's price."""
    prompt_tokens: int
    """Tokens of the step's own prompt text (the PKG/prompts/STEP.md file), as expected."""
    prompt_tokens_worst: int = -1
    """At most this many (its UTF-8 bytes: a byte-level BPE token is at least one byte)."""
    output_tokens: float
    """Typical visible output tokens per call."""
    max_tokens: int
    """Completion cap per call; bounds visible and hidden (reasoning) output together."""
    reasoning_tokens: float = 0.0
    """Expected hidden reasoning tokens per call (0 for models that do not reason)."""
    structured: bool = False
    """The step returns a validated pydantic object (so it may take up to MAX_REPAIRS repairs)."""
    extra_prompt_tokens: int = 0
    """Prompt tokens sent with every call besides messages (tool schemas)."""
    latency_s: float = 1.0
    """Expected seconds per call."""


@dataclass(frozen=True)
class Measured:
    """Per-call means a trace measured for one step (they replace the assumed sizes)."""

    calls_per_run: float
    """Calls of this step per run, retries included."""
    prompt_tokens: float
    """Mean prompt tokens per call."""
    completion_tokens: float
    """Mean completion tokens per call (reasoning included)."""
    latency_s: float
    """Mean seconds per call."""
    usd_per_run: float = 0.0
    """Mean dollars per run the trace recorded for this step."""
    max_prompt_tokens: int = 0
    """Largest prompt seen."""
    max_completion_tokens: int = 0
    """Largest completion seen."""


@dataclass
class Tally:
    """One step's share of a request: calls, tokens, dollars, expected and worst."""

    calls_exp: float = 0.0
    """Expected calls (attempts)."""
    calls_worst: float = 0.0
    """Most attempts possible."""
    prompt_exp: float = 0.0
    """Expected prompt tokens."""
    completion_exp: float = 0.0
    """Expected completion tokens (reasoning included)."""
    tokens_worst: float = 0.0
    """Most prompt plus completion tokens possible."""
    usd_exp: float = 0.0
    """Expected dollars."""
    usd_worst: float = 0.0
    """Most dollars possible."""

    def scaled(self, exp: float, worst: float) -> Tally:
        """Expected parts times `exp`, worst parts times `worst`."""
        return Tally(
            self.calls_exp * exp,
            self.calls_worst * worst,
            self.prompt_exp * exp,
            self.completion_exp * exp,
            self.tokens_worst * worst,
            self.usd_exp * exp,
            self.usd_worst * worst,
        )

    def plus(self, other: Tally) -> Tally:
        """The sum of two tallies."""
        return Tally(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))

    def widest(self, other: Tally) -> Tally:
        """Expected summed (the other is a weighted share), worst the larger of the two."""
        return Tally(
            self.calls_exp + other.calls_exp,
            max(self.calls_worst, other.calls_worst),
            self.prompt_exp + other.prompt_exp,
            self.completion_exp + other.completion_exp,
            max(self.tokens_worst, other.tokens_worst),
            self.usd_exp + other.usd_exp,
            max(self.usd_worst, other.usd_worst),
        )

    @property
    def tokens_exp(self) -> float:
        """Expected prompt plus completion tokens."""
        return self.prompt_exp + self.completion_exp


def _fields(t: Tally) -> tuple[float, ...]:
    return (
        t.calls_exp,
        t.calls_worst,
        t.prompt_exp,
        t.completion_exp,
        t.tokens_worst,
        t.usd_exp,
        t.usd_worst,
    )


@dataclass
class Cost:
    """What a node costs per execution: a total, a share per step, and its latency."""

    total: Tally = field(default_factory=Tally)
    """All steps together (worst is the worst single run, not the sum of per-step worsts)."""
    steps: dict[str, Tally] = field(default_factory=dict)
    """Per step; a step's worst assumes the run takes the path through it."""
    logical_exp: float = 0.0
    """Expected model calls, not counting repairs and retries."""
    logical_worst: float = 0.0
    """Most model calls under the caps, not counting repairs and retries."""
    latency_s: float = 0.0
    """Expected seconds on the critical path."""
    critical_calls: float = 0.0
    """Expected calls on the critical path (parallel branches count once)."""


def then(a: Cost, b: Cost) -> Cost:
    """b after a: everything adds up, latency included."""
    steps = dict(a.steps)
    for name, tally in b.steps.items():
        steps[name] = steps[name].plus(tally) if name in steps else tally
    return Cost(
        a.total.plus(b.total),
        steps,
        a.logical_exp + b.logical_exp,
        a.logical_worst + b.logical_worst,
        a.latency_s + b.latency_s,
        a.critical_calls + b.critical_calls,
    )


def alongside(parts: Sequence[Cost]) -> Cost:
    """Parts at once: costs add up, latency is the slowest part's."""
    out = Cost()
    for part in parts:
        out = then(out, part)
    out.latency_s = max((p.latency_s for p in parts), default=0.0)
    out.critical_calls = max((p.critical_calls for p in parts), default=0.0)
    return out


def either(parts: Sequence[Cost], weights: Sequence[float]) -> Cost:
    """One of the parts runs: expected is the weighted mean, worst the largest."""
    out = Cost()
    for part, w in zip(parts, weights, strict=True):
        share = scale(part, w, 1.0)
        for name, tally in share.steps.items():
            out.steps[name] = out.steps[name].widest(tally) if name in out.steps else tally
        out.total = out.total.widest(share.total)
        out.logical_exp += share.logical_exp
        out.logical_worst = max(out.logical_worst, part.logical_worst)
        out.latency_s += share.latency_s
        out.critical_calls += share.critical_calls
    return out


def scale(c: Cost, exp: float, worst: float) -> Cost:
    """The cost of running c `exp` times on average and `worst` times at most, in sequence."""
    return Cost(
        c.total.scaled(exp, worst),
        {k: v.scaled(exp, worst) for k, v in c.steps.items()},
        c.logical_exp * exp,
        c.logical_worst * worst,
        c.latency_s * exp,
        c.critical_calls * exp,
    )


@dataclass(frozen=True, kw_only=True)
class Context:
    """What the walk needs besides the tree: facts per step, attempts, loop defaults."""

    facts: Mapping[str, StepFacts]
    """Per step name."""
    max_attempts: int
    """Transport attempts per call (settings.max_attempts)."""
    expected_loop: Callable[[Node, str], float]
    """The typical length of a loop parameter (`expected_rounds`...) when a node does not say."""
    measured: Mapping[str, Measured] = field(default_factory=dict)
    """Per-call means from traces, per step name."""
    weights: Mapping[str, Sequence[float]] = field(default_factory=dict)
    """Route weights per routing node name (else uniform)."""
    tool_result_tokens: float = 300.0
    """Expected tokens of one tool result fed back to an agent."""
    shared: Size | None = None
    """In a conversation turn, the conversation section a call whose input does not hold the
    turn's input reads before its prompt (`combinators.step.shared_context`)."""


@dataclass(frozen=True)
class Flow:
    """A node's output size and its cost per execution."""

    out: Size
    """Tokens it hands on."""
    cost: Cost
    """What it cost."""


def call(ctx: Context, step: str, inp: Size, *, exp_n: float = 1.0) -> Flow:
    """One model call of `step` on a prompt carrying `inp` tokens besides the step's own text.

    Worst: every structured repair (each re-sends the prompt plus the failed reply and the
    validation errors) and every transport attempt of each, each billed in full (the runtime
    settles a timed-out attempt at its whole reservation).
    """
    f = ctx.facts[step]
    if ctx.shared is not None and not inp.shared:
        inp = inp + ctx.shared
    frame = REPLY_TOKENS + 2 * MESSAGE_TOKENS + f.extra_prompt_tokens
    own_worst = f.prompt_tokens_worst if f.prompt_tokens_worst >= 0 else f.prompt_tokens
    prompt = Size(frame + f.prompt_tokens + inp.exp, frame + own_worst + inp.worst)
    m = ctx.measured.get(step)
    p_exp = m.prompt_tokens if m else prompt.exp
    c_exp = m.completion_tokens if m else min(f.output_tokens + f.reasoning_tokens, f.max_tokens)
    lat = m.latency_s if m else f.latency_s
    tokens_worst, usd_worst = _worst_attempts(f, prompt.worst, ctx.max_attempts)
    attempts = (1 + (MAX_REPAIRS if f.structured else 0)) * ctx.max_attempts
    visible = min(f.output_tokens, f.max_tokens)
    reasoning = max(0.0, c_exp - visible) if not m else 0.0
    usd_exp = f.price.cost(round(p_exp), round(c_exp), round(reasoning))
    tally = Tally(1.0, attempts, p_exp, c_exp, tokens_worst, usd_exp, usd_worst)
    cost = Cost(tally, {step: tally}, 1.0, 1.0, lat, 1.0)
    out = Size(m.completion_tokens if m else visible, f.max_tokens)
    return Flow(out, scale(cost, exp_n, 1.0) if exp_n != 1.0 else cost)


def _worst_attempts(f: StepFacts, prompt: float, attempts: int) -> tuple[float, float]:
    """Tokens and dollars of a call's worst: all repairs, each tried `attempts` times.

    Every attempt is bounded by its reservation (prompt plus the runtime's margin, plus
    max_tokens): what a timed-out attempt is charged, and more than a finished one reports.
    """
    per_token = max(f.price.output_per_mtok, f.price.reasoning_per_mtok or 0.0) / 1e6
    tokens = usd = 0.0
    for k in range(1 + (MAX_REPAIRS if f.structured else 0)):
        # A repair resends the conversation with each failed reply and its errors appended.
        counted = prompt + k * (f.max_tokens + REPAIR_NOTE_TOKENS + 2 * MESSAGE_TOKENS)
        p = counted * (1 + PROMPT_MARGIN) + 1  # >= budget.with_margin(counted); inf stays inf
        tokens += attempts * (p + f.max_tokens)
        usd += attempts * (p * f.price.input_per_mtok / 1e6 + f.max_tokens * per_token)
    return tokens, usd


def loop_counts(ctx: Context, node: Node, expected_key: str, max_key: str) -> tuple[float, int]:
    """A loop's expected and capped length, from node params (the cap is required)."""
    cap = node.params.get(max_key)
    if not isinstance(cap, int) or isinstance(cap, bool):
        raise ValueError(f"node {node.name!r} ({node.pattern}) has no integer {max_key}")
    given = node.params.get(expected_key)
    exp = float(given) if isinstance(given, (int, float)) and not isinstance(given, bool) else None
    if exp is None:
        exp = ctx.expected_loop(node, expected_key)
    return min(max(exp, 0.0), float(cap)), cap


def repeat_growing(
    body: Callable[[int], Flow], exp_n: float, worst_n: int, *, parallel: bool = False
) -> tuple[Cost, list[Flow]]:
    """Iterations 0..worst_n-1 of a loop whose i-th pass may grow; expected takes exp_n of them.

    A fractional expected count takes that fraction of the next pass.
    """
    flows = [body(i) for i in range(worst_n)]
    total = Cost()
    for i, flow in enumerate(flows):
        share = min(1.0, max(0.0, exp_n - i))
        total = then(total, scale(flow.cost, share, 1.0))
    if parallel and flows:
        total.latency_s = max(f.cost.latency_s for f in flows) * min(1.0, exp_n)
        total.critical_calls = max(f.cost.critical_calls for f in flows) * min(1.0, exp_n)
    return total, flows


def ceil_int(x: float) -> int:
    """The smallest integer not below x (for loop counts)."""
    return math.ceil(x - 1e-9)


def with_measured(ctx: Context, measured: Mapping[str, Measured]) -> Context:
    """The same context with measured per-call sizes."""
    return replace(ctx, measured=measured)


def split(exp_part: Cost, worst_part: Cost) -> Cost:
    """Expected figures from one cost, worst figures from another (same steps)."""
    steps = {}
    for name in exp_part.steps.keys() | worst_part.steps.keys():
        e, w = exp_part.steps.get(name, Tally()), worst_part.steps.get(name, Tally())
        steps[name] = _mix(e, w)
    return Cost(
        _mix(exp_part.total, worst_part.total),
        steps,
        exp_part.logical_exp,
        worst_part.logical_worst,
        exp_part.latency_s,
        exp_part.critical_calls,
    )


def _mix(e: Tally, w: Tally) -> Tally:
    return Tally(
        e.calls_exp,
        w.calls_worst,
        e.prompt_exp,
        e.completion_exp,
        w.tokens_worst,
        e.usd_exp,
        w.usd_worst,
    )
