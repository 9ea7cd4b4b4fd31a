"""An event loop on a virtual clock: timers fire at once, in order, and no real time passes.

    result, elapsed = run_virtual(coro)   # elapsed: virtual seconds the coroutine took

Whenever the loop has nothing ready to run it jumps its clock to the next timer, so
`asyncio.sleep(30)`, `wait_for(..., 0.2)` and a simulated model's latency all complete at once
while keeping their order and their durations (as `loop.time()` differences). Only for code
whose every wait is an asyncio timer: a thread or a socket would race the jumping clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A selector loop whose time() is virtual and skips ahead to the next due timer."""

    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0

    def time(self) -> float:
        return self._virtual_now

    def _run_once(self) -> None:
        # asyncio's own scheduling state: no callback ready means everything waits on a timer.
        ready: Any = self._ready  # type: ignore[attr-defined]
        scheduled: Any = self._scheduled  # type: ignore[attr-defined]
        due = [timer.when() for timer in scheduled if not timer.cancelled()]
        if not ready and due:
            self._virtual_now = max(self._virtual_now, min(due))
        super()._run_once()  # type: ignore[misc]


def run_virtual(coro: Coroutine[Any, Any, T]) -> tuple[T, float]:
    """Run `coro` to completion on a fresh virtual-clock loop; (its result, virtual seconds)."""
    loop = VirtualClockLoop()
    try:
        asyncio.set_event_loop(loop)
        start = loop.time()
        result = loop.run_until_complete(coro)
        elapsed = loop.time() - start
        loop.run_until_complete(loop.shutdown_asyncgens())
        return result, elapsed
    finally:
        asyncio.set_event_loop(None)
        loop.close()
