"""`--optimize STEP --rounds N`: revise one step's prompt from the cases it failed.

Each round shows the optimizer model the prompt and the failed cases, runs the revision on
every case, and keeps it only when it scores better than the best so far. The winner is
written beside the original (`prompts/STEP.optimized.md`), never over it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import EvalUsageError

MAX_ROUNDS = 20
"""More rounds than this overfit the cases long before they pay."""
MAX_FAILURES_SHOWN = 8
"""Failed cases shown to the optimizer per round (the prompt stays small)."""
SUFFIX = ".optimized.md"


@dataclass(frozen=True)
class Failure:
    """A case the prompt failed."""

    input: str
    got: str
    expected: str | None = None


@dataclass(frozen=True)
class Trial:
    """One prompt tried on every case."""

    score: float
    """Higher is better (mean score, or win share)."""
    failures: Sequence[Failure]
    """The cases it failed."""


@dataclass
class Optimized:
    """What the loop found."""

    original: Trial
    best: Trial
    prompt: str
    """The best prompt (the original when no revision beat it)."""
    rounds: int = 0
    """Rounds run."""
    kept: list[int] = field(default_factory=list)
    """The rounds whose revision was kept."""
    stopped_by: str | None = None
    """Why it stopped before `rounds` (no failures left, the budget)."""
    dropped: list[str] = field(default_factory=list)
    """Revisions never run, and why (empty, unchanged, lost `{input}`)."""

    @property
    def improved(self) -> bool:
        return bool(self.kept)


Evaluate = Callable[[str], Awaitable[Trial]]
Revise = Callable[[str, Sequence[Failure]], Awaitable[str | None]]


async def optimize(
    prompt: str,
    rounds: int,
    evaluate: Evaluate,
    revise: Revise,
    *,
    out_of_budget: Callable[[], bool] = lambda: False,
) -> Optimized:
    """Up to `rounds` revisions; a revision replaces the best only when it scores higher."""
    first = await evaluate(prompt)
    found = Optimized(original=first, best=first, prompt=prompt)
    for number in range(1, rounds + 1):
        if not found.best.failures:
            found.stopped_by = "no failed cases left"
            break
        if out_of_budget():
            found.stopped_by = "eval --max-usd"
            break
        found.rounds = number
        revised = await revise(found.prompt, found.best.failures[:MAX_FAILURES_SHOWN])
        if not revised or revised.strip() == found.prompt.strip():
            found.dropped.append(f"round {number}: no new prompt came back")
            continue
        if "{input}" in prompt and "{input}" not in revised:
            # the revision dropped where the input goes: it cannot work
            found.dropped.append(f"round {number}: the revision lost {{input}}")
            continue
        trial = await evaluate(revised)
        if trial.score > found.best.score:
            found.best, found.prompt = trial, revised
            found.kept.append(number)
    return found


def revise_messages(prompt: str, failures: Sequence[Failure], task: str) -> list[dict[str, str]]:
    """The optimizer's request: the prompt, the failed cases, and what to return."""
    shown = "\n\n".join(
        f"Input: {f.input}\nGot: {f.got}"
        + (f"\nExpected: {f.expected}" if f.expected is not None else "")
        for f in failures
    )
    return [
        {
            "role": "system",
            "content": (
                "You improve prompt templates. Reply with the revised prompt only, no comments. "
                "Keep every {placeholder} exactly as written."
            ),
        },
        {
            "role": "user",
            "content": (
                f"Task: {task or 'see the prompt'}\n\nPrompt:\n{prompt}\n\n"
                f"Cases it failed:\n{shown}\n\nRevise the prompt so these cases succeed."
            ),
        },
    ]


def prompt_file(prompts: Path, step: str) -> Path:
    """prompts/STEP.md (STEP may name the file, with or without .md); exit 2 if none."""
    name = step if step.endswith(".md") else f"{step}.md"
    path = prompts / name
    if name.endswith(SUFFIX) or not path.is_file():
        known = sorted(p.stem for p in prompts.glob("*.md") if not p.name.endswith(SUFFIX))
        raise EvalUsageError(
            f"--optimize {step}: no prompt file {name} in {prompts}; pick one of {', '.join(known)}"
        )
    return path


def check_rounds(rounds: int) -> None:
    """1 to MAX_ROUNDS."""
    if not 1 <= rounds <= MAX_ROUNDS:
        raise EvalUsageError(f"--rounds must be from 1 to {MAX_ROUNDS}, got {rounds}")


def write_beside(original: Path, text: str) -> Path:
    """Write `text` to STEP.optimized.md next to `original` (atomically); never over it."""
    target = original.with_name(original.name.removesuffix(".md") + SUFFIX)
    fd, tmp = tempfile.mkstemp(prefix=".optimized-", dir=original.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
