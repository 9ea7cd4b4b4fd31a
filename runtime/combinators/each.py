"""each: a map over items. Code splits the input, one step runs per item in parallel (at most
`max_items` of them), and the results come back joined in item order for the next step.

It is parallel sectioning with a fan-out the input decides and no planning call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..caps import clamp_to_cap
from ..errors import CapReached
from ..scope import scope
from .base import Step, named, note
from .errors import BranchFailed
from .fanout import Gathered, fan_out, scoped_job
from .split_trace import MAP, Split

if TYPE_CHECKING:
    from ..model_calls.models import Run

CHUNK_CHARS = 2000
"""Size of the fixed chunks `split_text` falls back to when the text has no blank lines."""
JOINER = "\n\n"
"""What separates the items' results in the text the next step receives."""


def split_text(text: str, chunk_chars: int = CHUNK_CHARS) -> list[str]:
    """Paragraphs separated by blank lines; one long block becomes ~`chunk_chars` chunks."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paragraphs) != 1:
        return paragraphs
    only = paragraphs[0]
    return [only[i : i + chunk_chars] for i in range(0, len(only), chunk_chars)]


def each(
    name: str,
    step: Step,
    split: Callable[[str], list[str]],
    *,
    max_items: int,
    concurrency: int,
    branch_timeout_s: float | None = None,
) -> Step:
    """Run `step` once per item `split` finds in the input, at most `max_items` of them.

    Items over the cap are left out the way other caps end a loop (CONTRACTS §4): a "cap"
    note, and the run's `stopped_by` says `max_items=K (would reach N)` so `run` exits 3; the
    items that ran still go on, joined, to the next step (the best result). The trace gets a
    `{"map": {...}}` line with the items found and the items run, so the estimate learns what
    inputs really hold. An item that fails (a refusal, an error, a timeout) is noted and left
    out; the others, already paid for, are kept. A budget or cap stop keeps the finished
    items' results as the best so far.

    `branch_timeout_s` None (the default) gives an item no time limit of its own: its calls
    each have the settings' `timeout_s` and its loops their caps. An item cut by a set limit
    whose loop had a draft (a refine) keeps that draft, and the run ends as capped (exit 3).
    """
    if max_items < 1:
        raise ValueError(f"max_items must be >= 1, got {max_items}")

    async def run_each(run: Run, value: Any) -> str:
        with scope(name):
            items = split(str(value))
            keep = clamp_to_cap("max_items", max_items, len(items))
            MAP.write(run, name, Split(len(items), keep, max_items))
            jobs = [
                (f"item#{i}", scoped_job(run, f"item#{i}", step, item))
                for i, item in enumerate(items[:keep], 1)
            ]
            got = await fan_out(
                jobs, timeout_s=branch_timeout_s, concurrency=concurrency, fail_fast=False
            )
            results = _with_partials(run, got, branch_timeout_s)
            joined = JOINER.join(_text(out) for out in results.values())
            if got.stopped is not None:
                got.stopped.best = joined
                raise got.stopped
            missing = {k: why for k, why in got.missing.items() if k not in results}
            if jobs and not results:  # nothing to join: say so once, not "joined the rest"
                for key, why in missing.items():
                    note("failed", f"{key} has no result ({why})")
                key, why = next(iter(missing.items()))
                n = len(missing)
                raise BranchFailed(key, why if n == 1 else f"{why}; all {n} items failed")
            for key, why in missing.items():
                note("failed", f"{key} has no result ({why}); joined the rest")
            if len(items) > keep:
                _capped(run, len(items), max_items)
            return joined

    return named(name, run_each)


def _with_partials(run: Run, got: Gathered, timeout_s: float | None) -> dict[str, Any]:
    """The items' results in item order, an item cut by the timeout counted with the draft its
    loop had made (paid for): noted, and the run marked stopped by the cap so the result is
    the best so far (exit 3), not a finished one."""
    if not got.partial or timeout_s is None:
        return got.outputs
    cut = sorted(got.partial, key=_item_number)
    for key in cut:
        note(
            "failed",
            f"{key} timed out after {timeout_s:g}s; kept its latest draft, unfinished "
            "(raise or remove branch_timeout_s in settings.json to let it finish)",
        )
    cap = CapReached("branch_timeout_s", timeout_s, timeout_s)
    drafts = "its draft" if len(cut) == 1 else "their drafts"
    cap.reason = f"branch_timeout_s={timeout_s:g} (cut {', '.join(cut)} short; {drafts} kept)"
    run.note_stop(cap)
    kept = {**got.outputs, **got.partial}
    return {k: kept[k] for k in sorted(kept, key=_item_number)}


def _item_number(key: str) -> int:
    return int(key.rsplit("#", 1)[-1])


def _capped(run: Run, found: int, max_items: int) -> None:
    """Say the cap left items out, as `max_rounds` and `max_steps` do: a note, and the run's
    `stopped_by`, so the result is marked the best so far (exit 3), not a complete one."""
    cap = CapReached("max_items", max_items, found)
    run.note_stop(cap)
    left = found - max_items
    note(
        "cap",
        f"input has {found} items; ran the first max_items={max_items}, left {left} out "
        "(raise max_items in settings.json to run them all)",
        cap=cap.reason,
    )


def _text(output: Any) -> str:
    return output.model_dump_json() if isinstance(output, BaseModel) else str(output)
