"""Step paths: where in the composition a call happens (a contextvar: branches keep their own)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_PATH: ContextVar[tuple[str, ...]] = ContextVar("wfadvise_step_path", default=())

EVAL_SCOPE = "eval"
"""The first step-path segment of every call `eval` makes for a comparison (other variants,
the judge, the optimizer), not the project's own: `estimate --from-trace` skips them."""


@contextlib.contextmanager
def scope(name: str) -> Iterator[tuple[str, ...]]:
    """Run the block one level deeper in the step path, under `name`."""
    token = _PATH.set((*_PATH.get(), name))
    try:
        yield _PATH.get()
    finally:
        _PATH.reset(token)


def current_path() -> tuple[str, ...]:
    """The enclosing scopes, outermost first."""
    return _PATH.get()


SEPARATOR = ">"
"""What joins the scopes of a step path; no step, category or tool name may hold it."""


def step_path(step: str) -> str:
    """The trace name of a call to `step` here, e.g. `route>technical>diagnose`."""
    return SEPARATOR.join((*_PATH.get(), step))
