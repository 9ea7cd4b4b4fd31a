"""The estimate of a project: its plan's figures plus the neighbouring rungs' costs.

`wfadvise estimate` and a generated project's own `python -m PKG estimate` both call
`estimate_project`; the advisor prices a recommendation with `estimate_settings`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..plan import Node
from ..prompt_files import prompt_files
from ..settings import Settings
from .alternatives import alternatives
from .calibrate import Calibration, calibrate
from .engine import plan_figures
from .figures import Estimate
from .turns import prompt_files as chat_prompt_files


def estimate_project(
    settings: Settings,
    prompts_dir: Path | None,
    volume: int | None = None,
    input_tokens: int | None = None,
    traces: Sequence[Path] = (),
) -> Estimate:
    """The estimate of a generated project from its settings, prompt files and traces."""
    prompts = read_prompts(prompts_dir, settings.plan)
    if settings.conversation is not None:  # a chat's own state and summary prompts, if written
        prompts |= chat_prompt_files(prompts_dir)
    return estimate_settings(
        settings,
        prompts,
        volume=volume,
        input_tokens=input_tokens,
        calibration=calibrate(traces) if traces else None,
    )


def estimate_settings(
    settings: Settings,
    prompts: Mapping[str, str],
    *,
    volume: int | None = None,
    input_tokens: int | None = None,
    calibration: Calibration | None = None,
    with_alternatives: bool = True,
) -> Estimate:
    """The estimate for settings plus prompt texts (keyed by step name)."""
    est = plan_figures(
        settings, prompts, volume=volume, input_tokens=input_tokens, calibration=calibration
    )
    if with_alternatives:
        est.alternatives = alternatives(settings, prompts, est.input_tokens, est)
    return est


def read_prompts(prompts_dir: Path | None, plan: Node) -> dict[str, str]:
    """Each step's prompt text from `PROMPTS/SLUG.md` (or a project's older `STEP.md`)."""
    if prompts_dir is None:
        return {}
    found: dict[str, str] = {}
    for step, file in prompt_files(plan.all_steps()).items():
        older = [] if {"/", "\\"} & set(step) or step.startswith(".") else [f"{step}.md"]
        for path in [prompts_dir / name for name in (file, *older)]:
            if path.is_file():
                found[step] = path.read_text(encoding="utf-8")
                break
    return found
