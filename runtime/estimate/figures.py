"""What an estimate reports: per-step figures, alternatives, the Estimate, and the assumptions
(latency, reasoning, schema sizes) every figure is made with."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..model_calls.prices import Price
from .calibrate import Calibration
from .costmodel import Tally

DAYS_PER_MONTH = 30
"""Monthly figures are 30 days of the daily volume."""
LATENCY_BASE_S = 0.6
"""Assumed seconds before the first token of a reply (network plus queueing)."""
TOKENS_PER_S = 75.0
"""Assumed output tokens per second."""
REASONING_FACTOR = 4.0
"""Assumed hidden reasoning tokens per visible output token, for models that reason."""
SCHEMA_TOKENS = 300
"""Assumed prompt tokens a response schema adds to a structured call (providers bill it)."""
STRUCTURED_KINDS = frozenset({"classify", "evaluate", "plan"})
"""Step kinds whose output is a validated pydantic object (and so may be repaired): the
generated workflow gives a response model to the router's label, the planner's plan and the
evaluator's verdict (templates' schemas.py); a step given one by hand needs adding here."""
TOOL_SCHEMA_TOKENS = 120
"""Assumed prompt tokens per tool schema sent with every agent turn."""
DEFAULT_PROMPT_TOKENS = 150
"""Assumed tokens of a step's own prompt when there is no prompt file (answers mode)."""


@dataclass(frozen=True)
class StepFigures:
    """One step's share of a request."""

    step: str
    """Step name."""
    model: str
    """Model it calls."""
    kind: str
    """Catalog step kind (classify, generate, ...)."""
    calls: float
    """Expected calls per request."""
    worst_calls: float
    """Most attempts per request, repairs and retries included."""
    tokens: float
    """Expected prompt plus completion tokens per request."""
    worst_tokens: float
    """Most tokens per request through this step."""
    usd: float
    """Expected dollars per request."""
    worst_usd: float
    """Most dollars per request through this step."""
    measured: bool = False
    """Whether traces replaced the assumed sizes for this step."""


@dataclass(frozen=True)
class Alternative:
    """The same task on another rung of the ladder."""

    pattern: str
    """Pattern id."""
    rung: int
    """Its ladder rung."""
    expected_usd: float
    """Expected dollars per request."""
    monthly_usd: float
    """Expected dollars per month at the volume."""
    note: str = ""
    """How the figure was made (a catalog multiplier where one is published)."""


@dataclass(frozen=True)
class BreakEven:
    """A cascade against always asking its strong model: what each part costs per request."""

    name: str
    """The cascade's node name."""
    cheap_usd: float
    """Expected dollars of the easy model's answer."""
    check_usd: float
    """Expected dollars of the confidence check (0 for a code check)."""
    strong_usd: float
    """Expected dollars of the strong model's answer."""
    expected_escalation: float
    """The share of answers expected to go on to the strong model."""
    measured: bool = False
    """Whether traces gave the escalation rate."""

    @property
    def rate(self) -> float:
        """The break-even escalation rate: below it the cascade is cheaper than always asking
        the strong model (cheap + check + r x strong < strong); <= 0 means it never is."""
        if self.strong_usd <= 0:
            return 0.0
        return 1.0 - (self.cheap_usd + self.check_usd) / self.strong_usd

    @property
    def pays(self) -> bool:
        """Whether the expected escalation rate is below the break-even."""
        return self.expected_escalation < self.rate


@dataclass
class Estimate:
    """Everything `estimate` reports; `to_contract()` is the JSON of CONTRACTS §5."""

    pattern: str
    """The estimated workflow's pattern."""
    prices: dict[str, Price]
    """Price per model used."""
    steps: list[StepFigures]
    """Per step, in plan order."""
    total: Tally
    """Per request: expected and worst (worst already capped by the run's limits)."""
    logical_calls: float
    """Expected model calls, no repairs or retries."""
    logical_worst: float
    """Most model calls the caps allow, no repairs or retries."""
    critical_path_calls: float
    """Expected calls a request waits for one after another."""
    latency_s: float
    """Expected seconds per request (critical path x per-call latency)."""
    volume_per_day: int
    """Requests per day."""
    input_tokens: int
    """Assumed input size in tokens."""
    alternatives: list[Alternative] = field(default_factory=list)
    """Neighbouring rungs and the agent loop."""
    capped_by: list[str] = field(default_factory=list)
    """Run limits that cap the worst case (e.g. "max_usd=0.05")."""
    unbounded: list[str] = field(default_factory=list)
    """Why a worst figure has no bound from the caps (then it is None unless a limit caps it)."""
    assumptions: list[str] = field(default_factory=list)
    """What the figures assume, in words."""
    calibration: Calibration | None = None
    """What traces taught, if any were given."""
    cascades: list[BreakEven] = field(default_factory=list)
    """Per cascade: its parts' dollars and the break-even escalation rate."""
    unit: str = "request"
    """What one run is: a `request`, or a `turn` of a chat project (per-turn figures)."""
    call_reserves: dict[str, float] = field(default_factory=dict)
    """Per model step: the dollars the runtime's budget holds before one call of it (its
    max_tokens at the output price plus its expected prompt with the runtime's margin). A
    `max_usd` below a step's figure refuses every call of that step."""

    @property
    def daily_usd(self) -> float:
        """Expected dollars per day."""
        return self.total.usd_exp * self.volume_per_day

    @property
    def monthly_usd(self) -> float:
        """Expected dollars per month."""
        return self.daily_usd * DAYS_PER_MONTH

    def worst(self, what: str) -> float | None:
        """A worst figure (`calls`, `tokens`, `usd`), None when nothing bounds it."""
        value = {
            "calls": self.total.calls_worst,
            "tokens": self.total.tokens_worst,
            "usd": self.total.usd_worst,
        }[what]
        return value if math.isfinite(value) else None
