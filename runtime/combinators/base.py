"""What a step is, how plain functions become steps, and the visible notes combinators leave."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from ..model_calls.secrets import scrub
from ..scope import current_path

if TYPE_CHECKING:
    from ..model_calls.models import Run

Step: TypeAlias = Callable[["Run", Any], Awaitable[Any]]
"""A step: `async def step(run, input) -> output`. Every combinator takes and returns steps."""

StepLike: TypeAlias = "Step | Callable[[Any], Any]"
"""A step, or a plain sync function of the input (wrapped by `as_step`)."""

log = logging.getLogger("wfadvise.runtime")


def as_step(fn: StepLike) -> Step:
    """An async `(run, input)` callable as is; a sync `fn(input)` wrapped into a step."""
    if _is_async(fn):
        return fn  # type: ignore[return-value]
    sync_fn: Callable[[Any], Any] = fn  # type: ignore[assignment]

    async def code_step(run: Run, value: Any) -> Any:
        return sync_fn(value)

    code_step.__name__ = step_name(sync_fn)
    return code_step


def _is_async(fn: object) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - async __call__ on step objects
    return inspect.iscoroutinefunction(call)


def step_name(fn: object) -> str:
    """The name a step is known by in gates, errors and notes."""
    if isinstance(fn, functools.partial):
        return step_name(fn.func)
    return str(getattr(fn, "__name__", type(fn).__name__))


def named(name: str, fn: Step) -> Step:
    """Give a step the name gates, errors and notes call it by."""
    fn.__name__ = name
    return fn


@dataclass(frozen=True)
class Note:
    """Something a combinator did that the caller should see (fallback, dropped work, a cap)."""

    kind: str
    """What happened: "fallback", "skipped", "timeout", "failed", "cap", "dropped"."""
    where: str
    """Step path where it happened, e.g. "route>technical"."""
    message: str
    """One readable line."""
    cap: str | None = None
    """For kind "cap": the cap's reason text, e.g. "max_rounds=3 (would reach 4)"."""

    def __str__(self) -> str:
        return f"{self.where or '(top)'}: {self.message}"


_NOTES: ContextVar[list[Note] | None] = ContextVar("wfadvise_notes", default=None)


def note(kind: str, message: str, *, cap: str | None = None) -> Note:
    """Record a visible event: logged, and collected by `execute` into the Outcome."""
    entry = Note(kind, ">".join(current_path()), scrub(message), cap)
    log.warning("%s", entry)
    notes = _NOTES.get()
    if notes is not None:
        notes.append(entry)
    return entry


@contextlib.contextmanager
def collecting_notes() -> Iterator[list[Note]]:
    """Collect every note made inside the block (branches share the list)."""
    notes: list[Note] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)
