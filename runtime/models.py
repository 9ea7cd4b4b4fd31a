"""Model access for a named step: budget, retries, trace, and a real or simulated backend."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pydantic import BaseModel, ValidationError

from .budget import Budget, Limits, Reservation, with_margin
from .completion import CallRequest, RawCompletion, ToolCall, Usage
from .errors import ModelCallError, ModelRequestsDisabled, OutputValidationError, StoppedError
from .litellm_backend import litellm_complete, with_schema_hint
from .prices import Price, PriceBook
from .retry import RetryPolicy, is_retryable, retry_after_s, status_of
from .scope import step_path
from .simulated import SimulatedModel
from .tokens import count_messages, count_text
from .trace import Trace, scrub

if TYPE_CHECKING:
    from .settings import ModelChoice, Settings

ALLOW_MODEL_REQUESTS = True
"""Set False (or env WFADVISE_ALLOW_MODEL_REQUESTS=0) to make every real model request fail."""

DEFAULT_MAX_TOKENS = 1024
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def reserved_prompt_tokens(req: CallRequest, *, schema_in_messages: bool) -> int:
    """Prompt tokens to reserve for a request: counted, schema included, plus a margin."""
    counted = count_messages(req.messages, req.tools)
    if req.response_schema is not None and not schema_in_messages:
        # A schema sent as response_format is billed as prompt, though not in the messages.
        counted += count_text(json.dumps(req.response_schema, separators=(",", ":")))
    return with_margin(counted)


def model_requests_allowed() -> bool:
    """Whether a real (non-simulated) model request may be sent."""
    env = os.environ.get("WFADVISE_ALLOW_MODEL_REQUESTS", "1").strip().lower()
    return ALLOW_MODEL_REQUESTS and env not in {"0", "false", "no", "off"}


@dataclass(frozen=True)
class ModelMap:
    """Which model each step calls: per-step entries, else the default."""

    default: str = "openai/gpt-4o-mini"
    """litellm model string for every step without its own entry."""
    per_step: Mapping[str, str] = field(default_factory=dict)
    """Model per step name."""

    def for_step(self, step: str) -> str:
        """The model a step (by name, the last path segment) calls."""
        return self.per_step.get(step, self.default)

    @classmethod
    def of(cls, models: ModelMap | ModelChoice | str) -> ModelMap:
        """A ModelMap from a model string, a ModelMap or settings' ModelChoice."""
        if isinstance(models, ModelMap):
            return models
        if isinstance(models, str):
            return cls(default=models)
        return cls(default=models.default, per_step=dict(models.steps))


@dataclass(frozen=True)
class CallResult(Generic[T]):
    """One successful model call."""

    output: T
    """The reply text, or the validated response-model object."""
    usage: Usage
    """Tokens of the successful attempt."""
    cost_usd: float | None
    """Dollars of the successful attempt (None when the model has no known price)."""
    latency_s: float
    """Seconds of the successful attempt."""
    model: str
    """Model string called."""
    attempts: int
    """Attempts made (1 = no retry)."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    """Tool calls the model asked for (empty when it answered)."""
    step: str = ""
    """Step path, as in the trace."""
    text: str = ""
    """The raw reply text."""


@dataclass(frozen=True)
class RunSummary:
    """Totals of a run so far (the trace's summary line)."""

    calls: int
    """Attempts made, failed ones included."""
    prompt_tokens: int
    """Prompt tokens charged."""
    completion_tokens: int
    """Completion tokens charged."""
    cost_usd: float
    """Dollars charged (models without a price count 0)."""
    stopped_by: str | None
    """Reason a limit or cap stopped the run, if one did."""


class Run:
    """One workflow run: models per step, budget, retries, trace, optional simulated model."""

    def __init__(
        self,
        *,
        models: ModelMap | ModelChoice | str = "openai/gpt-4o-mini",
        limits: Limits | None = None,
        simulated: SimulatedModel | None = None,
        trace: Path | str | None = None,
        prices: PriceBook | None = None,
        retry: RetryPolicy | None = None,
        timeout_s: float = 60.0,
        api_base: str | None = None,
        api_key: str | None = None,
        max_tokens: Mapping[str, int] | None = None,
        litellm_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self.models = ModelMap.of(models)
        self.budget = Budget(limits)
        self.simulated = simulated
        self.trace = None if trace is None else Trace(Path(trace))
        self.prices = prices or PriceBook()
        self.retry = retry or RetryPolicy()
        self.timeout_s = timeout_s
        self.api_base = api_base
        self._api_key = api_key
        self.max_tokens = dict(max_tokens or {})
        """Completion-token cap per step name (else DEFAULT_MAX_TOKENS)."""
        self.litellm_kwargs = dict(litellm_kwargs or {})
        """Extra keyword arguments for every litellm.acompletion (headers, mock_response...)."""
        self._lock = threading.Lock()
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._stopped_by: str | None = None
        if self.budget.limits.max_usd is not None:
            for model in {self.models.default, *self.models.per_step.values()}:
                self.prices.require(model)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        simulated: SimulatedModel | None = None,
        trace: Path | str | None = None,
        model: str | None = None,
        max_usd: float | None = None,
        max_calls: int | None = None,
        max_tokens: int | None = None,
        api_key: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Run:
        """A Run from a generated project's settings.json; given overrides win (CLI flags)."""
        lim = settings.limits
        models = ModelMap(default=model) if model else ModelMap.of(settings.models)
        return cls(
            models=models,
            limits=Limits(
                max_usd=max_usd if max_usd is not None else lim.max_usd,
                max_calls=max_calls if max_calls is not None else lim.max_calls,
                max_tokens=max_tokens if max_tokens is not None else lim.max_tokens,
            ),
            simulated=simulated,
            trace=trace,
            prices=PriceBook(settings.prices),
            retry=retry or RetryPolicy(max_attempts=settings.max_attempts),
            timeout_s=settings.timeout_s,
            api_base=settings.models.api_base,
            api_key=api_key,
            max_tokens=settings.max_tokens,
        )

    @overload
    async def call(
        self,
        step: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        response_model: type[M],
        max_tokens: int | None = None,
        temperature: float | None = None,
        timeout_s: float | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> CallResult[M]: ...

    @overload
    async def call(
        self,
        step: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        response_model: None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        timeout_s: float | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> CallResult[str]: ...

    async def call(
        self,
        step: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        response_model: type[BaseModel] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        timeout_s: float | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> CallResult[Any]:
        """Call the step's model: reserve, send (retrying), settle, trace, validate."""
        model = self.models.for_step(step)
        if self.simulated is None and not model_requests_allowed():
            raise ModelRequestsDisabled(model)
        schema = None if response_model is None else response_model.model_json_schema()
        sent = with_schema_hint(list(messages), model, schema)
        req = CallRequest(
            step=step_path(step),
            model=model,
            messages=sent,
            max_tokens=max_tokens or self.max_tokens.get(step, DEFAULT_MAX_TOKENS),
            temperature=temperature,
            timeout_s=timeout_s or self.timeout_s,
            tools=tools,
            response_schema=schema,
            response_model=response_model,
        )
        price = self._price(model)
        prompt = reserved_prompt_tokens(req, schema_in_messages=len(sent) > len(messages))
        raw, attempts, latency = await self._attempts(req, price, prompt)
        return self._result(req, raw, price, attempts, latency)

    def call_sync(self, step: str, messages: Sequence[Mapping[str, Any]], **kw: Any) -> Any:
        """`call` for synchronous code (not from inside a running event loop)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("call_sync used inside an event loop; use `await run.call(...)`")
        return asyncio.run(self.call(step, messages, **kw))

    def _price(self, model: str) -> Price | None:
        if self.budget.limits.max_usd is not None:
            return self.prices.require(model)
        return self.prices.price(model)

    async def _attempts(
        self, req: CallRequest, price: Price | None, prompt: int
    ) -> tuple[RawCompletion, int, float]:
        attempt = 0
        while True:
            attempt += 1
            held = self._reserve(prompt, req.max_tokens, price)
            start = time.perf_counter()
            try:
                raw = await _with_timeout(self._send(req), req.timeout_s)
            except BaseException as exc:
                latency = time.perf_counter() - start
                self._settle_failure(req, held, exc, attempt, latency)
                if not isinstance(exc, Exception):
                    raise  # cancelled: a parallel branch was stopped; never retried
                if not is_retryable(exc) or attempt >= self.retry.max_attempts:
                    raise ModelCallError(
                        req.step,
                        req.model,
                        scrub(str(exc)),
                        status=status_of(exc),
                        attempts=attempt,
                    ) from exc
                wait = self.retry.delay(attempt, retry_after_s(exc, self.retry.now))
                await self.retry.sleep(wait)
                continue
            latency = time.perf_counter() - start
            cost = None if price is None else price.cost(*_counts(raw.usage))
            self.budget.settle(held, tokens=raw.usage.total_tokens, usd=cost or 0.0)
            self._add_tokens(raw.usage.prompt_tokens, raw.usage.completion_tokens)
            self._record(req, raw.usage, cost, latency, attempt, None)
            return raw, attempt, latency

    def _reserve(self, prompt: int, max_tokens: int, price: Price | None) -> Reservation:
        worst_usd = 0.0 if price is None else price.cost(prompt, max_tokens)
        try:
            return self.budget.reserve(tokens=prompt + max_tokens, usd=worst_usd)
        except StoppedError as exc:
            self.note_stop(exc)
            raise

    async def _send(self, req: CallRequest) -> RawCompletion:
        if self.simulated is not None:
            return await self.simulated.complete(req)
        return await litellm_complete(
            req, api_base=self.api_base, api_key=self._api_key, extra=self.litellm_kwargs
        )

    def _settle_failure(
        self, req: CallRequest, held: Reservation, exc: BaseException, attempt: int, latency: float
    ) -> None:
        if _maybe_billed(exc):
            self.budget.settle_worst(held)
            usage = Usage(held.amount.tokens - req.max_tokens, req.max_tokens)
            cost = held.amount.usd
        else:
            self.budget.settle(held, tokens=0, usd=0.0)
            usage, cost = Usage(), 0.0
        self._add_tokens(usage.prompt_tokens, usage.completion_tokens)
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self._record(req, usage, cost, latency, attempt, error)

    def _result(
        self,
        req: CallRequest,
        raw: RawCompletion,
        price: Price | None,
        attempts: int,
        latency: float,
    ) -> CallResult[Any]:
        output: Any = raw.text
        if req.response_model is not None and not raw.tool_calls:
            output = _validate(req.step, req.response_model, raw.text)
        cost = None if price is None else price.cost(*_counts(raw.usage))
        return CallResult(
            output=output,
            usage=raw.usage,
            cost_usd=cost,
            latency_s=latency,
            model=req.model,
            attempts=attempts,
            tool_calls=list(raw.tool_calls),
            step=req.step,
            text=raw.text,
        )

    def _add_tokens(self, prompt: int, completion: int) -> None:
        with self._lock:
            self._prompt_tokens += prompt
            self._completion_tokens += completion

    def _record(
        self,
        req: CallRequest,
        usage: Usage,
        cost: float | None,
        latency: float,
        attempt: int,
        error: str | None,
    ) -> None:
        if self.trace is None:
            return
        line: dict[str, Any] = {
            "step": req.step,
            "model": req.model,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cost_usd": None if cost is None else round(cost, 8),
            "latency_s": round(latency, 4),
            "attempt": attempt,
            "ok": error is None,
            "simulated": self.simulated is not None,
        }
        if usage.reasoning_tokens:
            line["reasoning_tokens"] = usage.reasoning_tokens
        if error is not None:
            line["error"] = error[:500]
        self.trace.write(line)

    def note_stop(self, exc: StoppedError) -> None:
        """Remember the first limit or cap that stopped the run (the summary's `stopped_by`)."""
        with self._lock:
            if self._stopped_by is None:
                self._stopped_by = exc.reason

    def summary(self) -> RunSummary:
        """Totals so far."""
        spent = self.budget.spent
        with self._lock:
            return RunSummary(
                calls=spent.calls,
                prompt_tokens=self._prompt_tokens,
                completion_tokens=self._completion_tokens,
                cost_usd=round(spent.usd, 8),
                stopped_by=self._stopped_by,
            )

    def close(self) -> RunSummary:
        """Write the trace's summary line and close it; returns the totals."""
        result = self.summary()
        if self.trace is not None:
            self.trace.write({"summary": True, **result.__dict__})
            self.trace.close()
        return result

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, StoppedError):
            self.note_stop(exc)
        self.close()

    async def __aenter__(self) -> Run:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(kind, exc, tb)


async def _with_timeout(work: Coroutine[Any, Any, T], seconds: float) -> T:
    """Await with a deadline; asyncio.timeout (3.11+) spares wait_for's extra task per call."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await work
    return await asyncio.wait_for(work, seconds)


def _maybe_billed(exc: BaseException) -> bool:
    """Timeouts and cancellations: the provider may have run (and billed) the whole call."""
    if not isinstance(exc, Exception):
        return True
    return isinstance(exc, (TimeoutError, asyncio.TimeoutError)) or "Timeout" in type(exc).__name__


def _counts(usage: Usage) -> tuple[int, int, int]:
    return usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens


_FENCE = re.compile(r"^\s*```(?:json)?\s*\n?(.*?)\n?```\s*$", re.DOTALL)


def _validate(step: str, model: type[BaseModel], text: str) -> BaseModel:
    """The reply parsed into the response model, or OutputValidationError saying what is wrong."""
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    try:
        return model.model_validate_json(body)
    except ValidationError as err:
        raise OutputValidationError(step, text, _summarize(err)) from err


def _summarize(err: ValidationError) -> str:
    parts = []
    for e in err.errors(include_url=False)[:8]:
        where = ".".join(str(p) for p in e["loc"]) or "(root)"
        if e["type"] == "json_invalid":
            parts.append(f"not valid JSON ({e['msg']})")
        else:
            parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)
