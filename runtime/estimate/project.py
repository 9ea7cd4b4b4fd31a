"""The estimate of a project: its plan's figures plus the neighbouring rungs' costs.

`wfadvise estimate` and a generated project's own `python -m PKG estimate` both call
`estimate_project`. Which file holds which step's prompt is decided once, in `project_prompts`:
a project's folder is read through it, and the advisor reads the prompt files the template will
write (rendered in memory) through it too, so a recommendation and the untouched project it
generates are priced on the same texts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..plan import Node
from ..prompt_files import prompt_files
from ..settings import Settings
from .alternatives import alternatives
from .calibrate import Calibration, calibrate
from .engine import plan_figures
from .figures import Estimate
from .turns import DEFAULT_PROMPTS as CHAT_PROMPTS

PromptReader = Callable[[str], "str | None"]
"""A prompt file's text by its name in the project's `prompts/` folder; None when there is none."""


def estimate_project(
    settings: Settings,
    prompts_dir: Path | None,
    volume: int | None = None,
    input_tokens: int | None = None,
    traces: Sequence[Path] = (),
    *,
    prompts: Mapping[str, str] | None = None,
) -> Estimate:
    """The estimate of a generated project from its settings, prompt files and traces.

    `prompts` (by step, from `project_prompts`) stands in for a folder: the texts the template
    would write, for answers not yet generated.
    """
    if prompts is None:
        prompts = project_prompts(settings, folder_reader(prompts_dir))
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
    return step_prompts(plan, folder_reader(prompts_dir))


def project_prompts(settings: Settings, read: PromptReader) -> dict[str, str]:
    """The prompt texts a project's estimate uses, by step: each step's file, and a chat's own
    state and summary prompts where written (else the engine's defaults)."""
    prompts = step_prompts(settings.plan, read)
    if settings.conversation is not None:
        for step in CHAT_PROMPTS:
            text = read(f"{step}.md")
            if text is not None:
                prompts[step] = text
    return prompts


def step_prompts(plan: Node, read: PromptReader) -> dict[str, str]:
    """Each step's prompt text from `SLUG.md` (or a project's older `STEP.md`), where found."""
    found: dict[str, str] = {}
    for step, file in prompt_files(plan.all_steps()).items():
        older = [] if {"/", "\\"} & set(step) or step.startswith(".") else [f"{step}.md"]
        for name in (file, *older):
            text = read(name)
            if text is not None:
                found[step] = text
                break
    return found


def folder_reader(prompts_dir: Path | None) -> PromptReader:
    """Reads prompt files from a project's `prompts/` folder (none when there is no folder)."""

    def read(name: str) -> str | None:
        if prompts_dir is None:
            return None
        path = prompts_dir / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    return read
