"""Which task of a request a call comes from, the same on the first run and on a replay.

Two branches of a request may send the same call (votes, or two sections whose first calls
matched) and finish in any order. Keyed by content alone, a replay could hand branch A the
reply branch B got; if A and B then feed an order-sensitive step, that step's call no longer
matches the journal and is sent again. So every task gets a lineage: its parent's lineage plus
which of its parent's tasks running that coroutine function it is. The workflow's own tasks are
created at fixed points of its code (given the same replies), so their lineages are the same on
every run; tasks an HTTP client starts mid-call are counted under their own function's name and
never shift the workflow's. A call's journal key includes the lineage of the task making it.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Coroutine, Generator
from typing import Any

_LINEAGE: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "wfadvise_lineage", default=()
)
_CHILDREN: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "wfadvise_children", default=None
)


def lineage() -> tuple[str, ...]:
    """The current task's lineage (() for a request's own task)."""
    return _LINEAGE.get()


def enter_request() -> None:
    """Make the current task a request's root, and number the tasks it creates from here on."""
    _LINEAGE.set(())
    _CHILDREN.set({})
    loop = asyncio.get_running_loop()
    if loop.get_task_factory() is not _factory:
        loop.set_task_factory(_factory)


def _factory(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
    **kwargs: Any,
) -> asyncio.Task[Any]:
    """Create a task whose lineage is its creator's plus `function#n`: the creator's n-th task
    running that coroutine function."""
    counter = _CHILDREN.get()
    if counter is None:  # a task made before enter_request (not part of a request)
        counter = {}
        _CHILDREN.set(counter)
    name = getattr(coro, "__qualname__", type(coro).__name__)
    number = counter.get(name, 0)
    counter[name] = number + 1
    child = (*_LINEAGE.get(), f"{name}#{number}")
    context = kwargs.pop("context", None) or contextvars.copy_context()
    context.run(_LINEAGE.set, child)
    context.run(_CHILDREN.set, {})
    if sys.version_info >= (3, 11):
        return asyncio.Task(coro, loop=loop, context=context, **kwargs)
    return context.run(lambda: asyncio.Task(coro, loop=loop, **kwargs))
