"""The variants besides the project's own workflow: one call, another rung, a prompt folder."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from .errors import EvalUsageError
from .project import EvalProject
from .variants import Kit, Variant

SINGLE_CALL = "single-call"
BASELINE_PROMPT = "{task}\n\nInput:\n{input}"
"""The single-call baseline's prompt: the task in the user's words, then the input."""


def own_kit() -> Kit:
    """This vendored runtime."""
    from ..combinators import execute
    from ..model_calls.models import Run
    from ..model_calls.simulated import SimulatedModel
    from ..scope import scope

    return Kit(Run.from_settings, SimulatedModel, execute, scope)


def kit_of(package: str) -> Kit:
    """Another project's vendored runtime (`PACKAGE._runtime`)."""
    rt = f"{package}._runtime"
    run = importlib.import_module(f"{rt}.model_calls.models").Run
    sim = importlib.import_module(f"{rt}.model_calls.simulated").SimulatedModel
    exe = importlib.import_module(f"{rt}.combinators").execute
    scope = importlib.import_module(f"{rt}.scope").scope
    return Kit(run.from_settings, sim, exe, scope)


def single_call(project: EvalProject, settings: Any, name: str = SINGLE_CALL) -> Variant:
    """The task as one call: same model and per-request budget as the project."""
    from ..combinators import llm

    task = project.task.strip() or "Do the task the input asks for."
    prompt = BASELINE_PROMPT.replace("{task}", task)
    # As much room as the project's largest step has: the one call does all of their work.
    room = max(settings.max_tokens.values(), default=None)
    flow = llm(SINGLE_CALL, prompt, max_tokens=room)
    return Variant(name, flow, settings, own_kit())


def prompt_variant(project: EvalProject, folder: Path) -> dict[str, str]:
    """The prompt files of a --variant folder, by name; every name must be one of prompts/."""
    if not folder.is_dir():
        raise EvalUsageError(f"--variant {folder} is not a folder; give a folder of prompt files")
    known = {p.name for p in project.prompts.glob("*.md")}
    given = {p.name: p for p in sorted(folder.glob("*.md"))}
    strange = sorted(set(given) - known)
    if strange:
        raise EvalUsageError(
            f"--variant {folder}: {strange[0]} matches no prompt file; use the names in "
            f"{project.prompts} ({', '.join(sorted(known))})"
        )
    if not given:
        raise EvalUsageError(
            f"--variant {folder} holds no .md prompt files; copy some from {project.prompts}"
        )
    try:
        return {name: path.read_text(encoding="utf-8") for name, path in given.items()}
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalUsageError(f"--variant {folder}: cannot read a prompt file ({exc})") from None


def other_rung(project: EvalProject, pattern: str, scratch: Path) -> Variant:
    """The same answers diagnosed with `pattern` forced, rendered under `scratch`, imported."""
    try:
        from advisor.answers import load_answers
        from advisor.commands.new import spec_from, write_project
        from advisor.diagnose import diagnose
        from advisor.errors import UserError
    except ImportError:
        raise EvalUsageError(
            f"--against {pattern} generates the other rung with wfadvise: `pip install wfadvise`"
            " (or compare with --against single-call)"
        ) from None
    from ..plan import PATTERN_IDS

    if pattern not in PATTERN_IDS:
        raise EvalUsageError(
            f"--against {pattern}: not a pattern; use single-call or one of "
            + ", ".join(PATTERN_IDS)
        )
    if not project.answers_file.is_file():
        raise EvalUsageError(
            f"--against {pattern} needs {project.answers_file.name} in {project.root} "
            "(written by `wfadvise new`)"
        )
    try:
        answers = load_answers(project.answers_file)
        answers = answers.model_copy(update={"name": f"{answers.name} eval {pattern}"})
        spec = spec_from(diagnose(answers, override=pattern))
        made = write_project(spec, scratch / "rung")
    except UserError as exc:
        raise EvalUsageError(f"--against {pattern}: {exc}") from None
    # Stays importable while the eval runs: its runtime imports modules on first use.
    sys.path.insert(0, str(made.path))
    workflow = importlib.import_module(f"{made.package}.workflow")
    wiring = importlib.import_module(f"{made.package}.wiring")
    settings = workflow.load_settings()
    flow = workflow.build(settings)
    script = wiring.passing_checks(settings) if hasattr(wiring, "passing_checks") else {}
    return Variant(pattern, flow, settings, kit_of(made.package), script=script)
