"""Model access for a named step: budget, retries, trace, and a real or simulated backend."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pydantic import BaseModel

from ..caps import DEFAULT_MAX_TOKENS
from ..errors import ModelRequestsDisabled, StoppedError
from ..scope import step_path
from .attempts import Attempts, _counts, log
from .bounds import base_url, prompt_reservation
from .budget import Budget, Limits
from .calltypes import INTERRUPTED, CallResult, ModelMap, RunSummary
from .completion import CallRequest, RawCompletion
from .errors import FormatRefused
from .prices import Price, PriceBook
from .replies import validate_reply
from .retry import RetryPolicy
from .secrets import register_secret
from .simulated import SimulatedModel
from .structured import parse_tool_call, plan_wire, traits
from .trace import Trace

if TYPE_CHECKING:
    from ..settings import ModelChoice, Settings

__all__ = ["DEFAULT_MAX_TOKENS", "CallResult", "ModelMap", "Run", "RunSummary"]

ALLOW_MODEL_REQUESTS = True
"""Set False (or env WFADVISE_ALLOW_MODEL_REQUESTS=0) to make every real model request fail."""

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def model_requests_allowed() -> bool:
    """Whether a real (non-simulated) model request may be sent."""
    env = os.environ.get("WFADVISE_ALLOW_MODEL_REQUESTS", "1").strip().lower()
    return ALLOW_MODEL_REQUESTS and env not in {"0", "false", "no", "off"}


class Run(Attempts):
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
        self.prices = prices or PriceBook()
        self.retry = retry or RetryPolicy()
        self.timeout_s = timeout_s
        self.api_base = api_base
        self._api_key = api_key
        register_secret(api_key)  # never written to a trace, an error or a note
        self.max_tokens = dict(max_tokens or {})
        """Completion-token cap per step name (else DEFAULT_MAX_TOKENS)."""
        self.litellm_kwargs = dict(litellm_kwargs or {})
        """Extra keyword arguments for every litellm.acompletion (headers, mock_response...);
        given any, every real call goes through litellm."""
        self._lock = threading.Lock()
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._stopped_by: str | None = None
        if self.budget.limits.max_usd is not None:
            for model in {self.models.default, *self.models.per_step.values()}:
                self.prices.require(model)
        # Last, once nothing else can refuse the run: a refused run leaves no empty trace file,
        # and the file is checked (and created) before the first call.
        self.trace = None if trace is None else Trace(Path(trace))

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
            api_key=api_key or getattr(settings.models, "api_key", None),
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
        """Call the step's model: plan for the endpoint, reserve, send (retrying), settle, trace,
        validate. A refused response format or ignored tools re-plan the call (remembered)."""
        model = self.models.for_step(step)
        if self.simulated is None and not model_requests_allowed():
            raise ModelRequestsDisabled(model)
        api_base = None if self.simulated is not None else self.api_base
        endpoint = "" if self.simulated is not None else base_url(api_base) or ""
        seen = traits(endpoint, model)
        base = CallRequest(
            step=step_path(step),
            model=model,
            messages=list(messages),
            max_tokens=max_tokens or self.max_tokens.get(step, DEFAULT_MAX_TOKENS),
            temperature=temperature,
            timeout_s=timeout_s or self.timeout_s,
            tools=tools,
            response_schema=None if response_model is None else response_model.model_json_schema(),
            response_model=response_model,
        )
        price = self._price(model)
        replanned = False
        while True:
            wire = plan_wire(
                messages,
                model=model,
                api_base=endpoint or None,
                schema=base.response_schema,
                schema_name=response_model.__name__ if response_model else "output",
                tools=tools,
                seen=seen,
            )
            req = dataclasses.replace(
                base, messages=wire.messages, tools=wire.tools, response_format=wire.response_format
            )
            bound = prompt_reservation(
                model, api_base, wire.messages, wire.tools, wire.response_format
            )
            try:
                raw, attempts, latency = await self._attempts(req, price, bound, wire, seen)
            except FormatRefused:
                continue  # planned again without the refused format
            if wire.tools_in_prompt:
                raw = _text_tool_calls(raw, tools or (), attempts)
            elif raw.tool_calls:
                seen.called_tools = True
            elif endpoint and wire.tools and not seen.called_tools and not replanned:
                # A text reply to tools from a server never seen calling one: it ignores them.
                seen.ignores_tools = replanned = True
                log.warning("%s: %s ignores tools; they go in the prompt", step, model)
                parsed = _text_tool_calls(raw, tools or (), attempts)
                if not parsed.tool_calls:
                    continue  # asked again, the tools described in the prompt
                raw = parsed
            return self._result(req, raw, price, attempts, latency)

    def call_sync(self, step: str, messages: Sequence[Mapping[str, Any]], **kw: Any) -> Any:
        """`call` for synchronous code (not from inside a running event loop)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("call_sync used inside an event loop; use `await run.call(...)`")
        return asyncio.run(_closing_clients(self.call(step, messages, **kw)))

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
            output = validate_reply(req.step, req.response_model, raw.text)
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
        elif isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError)):
            self._stopped_by = INTERRUPTED  # so the trace's summary says the run is partial
        self.close()

    async def __aenter__(self) -> Run:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(kind, exc, tb)


async def _closing_clients(work: Coroutine[Any, Any, T]) -> T:
    """Await `work`, then close the SDK clients opened in this event loop."""
    from .openai_backend import close_clients

    try:
        return await work
    finally:
        await close_clients()


def _text_tool_calls(
    raw: RawCompletion, tools: Sequence[Mapping[str, Any]], serial: int
) -> RawCompletion:
    """A reply to prompt-described tools: a JSON tool call in its text becomes a tool call."""
    names = {str(t["function"]["name"]) for t in tools}
    calls = parse_tool_call(raw.text, names, serial)
    return dataclasses.replace(raw, tool_calls=calls) if calls else raw
