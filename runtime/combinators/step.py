"""llm: a model-call step, with structured output repaired from its validation errors."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import BaseModel

from ..caps import MAX_REPAIRS
from ..errors import OutputValidationError
from .base import Step, named

if TYPE_CHECKING:
    from ..model_calls.models import Run

Message: TypeAlias = Mapping[str, Any]
Prompt: TypeAlias = "str | Callable[[Any], str | Sequence[Message]]"
"""A template where `{input}` is replaced by the input's text, or a function of the input
returning the user message text or the whole message list."""


_TEMPERATURE: ContextVar[float | None] = ContextVar("wfadvise_temperature", default=None)
_SHARED: ContextVar[tuple[Any, str] | None] = ContextVar("wfadvise_shared_context", default=None)
"""A conversation turn's input and the headed section that carries it (`shared_context`)."""
MAX_TASK_DEPTH = 4
"""Wrappers `carries` looks through (a Draft of an Attempt...), far more than patterns nest."""

REPAIR_PROMPT = (
    "Your reply did not match the required JSON schema: {errors}\n"
    "Reply again with only a JSON object that matches this JSON schema:\n{schema}"
)


def llm(
    name: str,
    prompt: Prompt = "{input}",
    *,
    response_model: type[BaseModel] | None = None,
    system: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    max_repairs: int = MAX_REPAIRS,
) -> Step:
    """A step that makes one model call named `name` (its model and trace entry use the name).

    With a `response_model`, the output is the validated object; a reply that fails validation
    is sent back with its errors, at most `max_repairs` times, then OutputValidationError.
    """
    if not 0 <= max_repairs <= MAX_REPAIRS:
        raise ValueError(f"max_repairs must be between 0 and {MAX_REPAIRS}, got {max_repairs}")

    async def call_model(run: Run, value: Any) -> Any:
        messages = render(prompt, value, system)
        temp = _TEMPERATURE.get()
        for repair in range(max_repairs + 1):
            try:
                res = await run.call(
                    name,
                    messages,
                    response_model=response_model,
                    max_tokens=max_tokens,
                    temperature=temperature if temp is None else temp,
                )
                return res.output
            except OutputValidationError as exc:
                if repair == max_repairs:
                    raise
                messages = [*messages, *repair_messages(exc, response_model)]
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    return named(name, call_model)


def render(prompt: Prompt, value: Any, system: str | None = None) -> list[Message]:
    """The chat messages for a prompt and an input; inside `shared_context`, a step whose
    input does not carry the shared input gets its section before its own prompt."""
    made: str | Sequence[Message] = (
        prompt.replace("{input}", as_text(value)) if isinstance(prompt, str) else prompt(value)
    )
    head: list[Message] = [{"role": "system", "content": system}] if system else []
    shared = _SHARED.get()
    if shared is not None and not carries(value, shared[0]):
        made = _prefixed(made, shared[1])
    if isinstance(made, str):
        return [*head, {"role": "user", "content": made}]
    return [*head, *made]


def carries(value: Any, shared: Any) -> bool:
    """Whether a step's input is the shared input, or wraps it as its task (refine's Draft,
    a cascade's Attempt, an orchestrator's Work): then its prompt already holds it."""
    for _ in range(MAX_TASK_DEPTH):
        if value is shared or (isinstance(value, str) and value == shared):
            return True
        value = getattr(value, "task", None)
        if value is None:
            return False
    return False


def _prefixed(made: str | Sequence[Message], section: str) -> str | list[Message]:
    """The prompt with `section` before its first user message's text."""
    if isinstance(made, str):
        return section + made
    messages = list(made)
    for i, m in enumerate(messages):
        if m.get("role") == "user" and isinstance(m.get("content"), str):
            messages[i] = {**m, "content": section + m["content"]}
            return messages
    return [{"role": "user", "content": section}, *messages]


def as_text(value: Any) -> str:
    """An input as prompt text: models as JSON, everything else by str()."""
    if isinstance(value, BaseModel):
        return value.model_dump_json(indent=2)
    return str(value)


def repair_messages(
    exc: OutputValidationError, response_model: type[BaseModel] | None = None
) -> list[Message]:
    """The assistant's invalid reply and a user turn listing what was wrong, schema restated
    (a small model forgets it; a JSON-mode server never had it outside the first prompt)."""
    schema = {} if response_model is None else response_model.model_json_schema()
    text = REPAIR_PROMPT.format(
        errors=exc.summary, schema=json.dumps(schema, separators=(",", ":"))
    )
    return [{"role": "assistant", "content": exc.raw}, {"role": "user", "content": text}]


@contextlib.contextmanager
def shared_context(shared: Any, section: str) -> Iterator[None]:
    """Inside the block, every model step whose input is not `shared` (nor wraps it) gets
    `section` before its prompt: a conversation turn's later steps see the conversation."""
    token = _SHARED.set((shared, section))
    try:
        yield
    finally:
        _SHARED.reset(token)


@contextlib.contextmanager
def sampling_temperature(value: float | None) -> Iterator[None]:
    """Model steps inside the block sample at `value` (vote uses it for its n runs)."""
    if value is None:
        yield
        return
    token = _TEMPERATURE.set(value)
    try:
        yield
    finally:
        _TEMPERATURE.reset(token)
