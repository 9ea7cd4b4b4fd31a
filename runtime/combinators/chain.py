"""chain: a fixed sequence of steps, with plain-code gates that can stop it early."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import StoppedError
from ..scope import scope
from .base import Step, StepLike, as_step, named, step_name
from .errors import GateFailed
from .execute import no_result
from .gates import Gate

if TYPE_CHECKING:
    from ..model_calls.models import Run


def chain(*steps: StepLike, gates: Mapping[str, Gate] | None = None, name: str = "chain") -> Step:
    """Run steps in order, each on the previous output; a gate after a step can stop the chain.

    `gates` maps a step name to a check on that step's output (see `gates.py`); a failing gate
    raises GateFailed naming the step and carrying its output.
    """
    if not steps:
        raise ValueError("chain needs at least one step")
    parts = [as_step(s) for s in steps]
    names = [step_name(s) for s in parts]
    checks = dict(gates or {})
    unknown = sorted(set(checks) - set(names))
    if unknown:
        raise ValueError(f"gates name no step of this chain: {unknown}; steps are {names}")

    async def run_chain(run: Run, value: Any) -> Any:
        done = False
        with scope(name):
            for step, label in zip(parts, names, strict=True):
                try:
                    output = await step(run, value)
                except StoppedError as exc:
                    if done and no_result(exc.best):  # nothing usable from the stopped step
                        exc.best = value  # the last completed step's output
                    raise
                _check_gate(checks.get(label), label, output)
                value, done = output, True
        return value

    return named(name, run_chain)


def _check_gate(gate: Gate | None, step: str, output: Any) -> None:
    if gate is None:
        return
    verdict: Any = gate(output)
    if verdict is None or verdict is True:
        return
    reason = verdict if isinstance(verdict, str) else f"{step_name(gate)} returned {verdict!r}"
    raise GateFailed(step, reason, output)
