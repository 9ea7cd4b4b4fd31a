"""`wfadvise estimate`: a generated project's (or an answers file's) cost, expected and worst."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import typer
from pydantic import ValidationError

from runtime.errors import SettingsError
from runtime.estimate import (
    Estimate,
    TraceError,
    UnknownModelPrice,
    contract_dict,
    estimate_project,
)
from runtime.estimate.chart import svg_chart
from runtime.estimate.report import series
from runtime.settings import Settings

from ..errors import UserError
from ..userfiles import MAX_BYTES


def estimate_command(
    directory: Path | None,
    answers: Path | None,
    *,
    volume: int | None,
    input_tokens: int | None,
    traces: Sequence[Path],
    plot: Path | None,
    as_json: bool,
) -> None:
    """Estimate DIR (or --answers FILE), print it, and write the chart when asked."""
    settings, prompts_dir = load_source(directory, answers)
    est = run_estimate(settings, prompts_dir, volume, input_tokens, traces, from_answers=answers)
    if plot is not None:
        write_atomically(plot, svg_chart(series(est), est.volume_per_day, title=_title(est)))
    if as_json:
        typer.echo(json.dumps(contract_dict(est), indent=2))
        return
    from ..estimate_view import show_estimate

    show_estimate(est, plot=plot)


def load_source(directory: Path | None, answers: Path | None) -> tuple[Settings, Path | None]:
    """Settings and prompt folder from a project, or settings diagnosed from answers."""
    if directory is not None and answers is not None:
        raise UserError("give a project DIR or --answers FILE, not both")
    if directory is None and answers is None:
        raise UserError("nothing to estimate: pass a generated project DIR, or --answers FILE")
    if answers is not None:
        from ..answers import load_answers
        from ..diagnose import diagnose

        return diagnose(load_answers(answers)).settings(), None
    assert directory is not None
    return load_project(directory)


def load_project(directory: Path) -> tuple[Settings, Path]:
    """The settings file and prompt folder of a generated project."""
    if not directory.is_dir():
        raise UserError(f"{directory}: no such directory; pass a project made by `wfadvise new`")
    found = sorted(directory.glob("*/settings.json"))
    if not found:
        raise UserError(
            f"{directory} is not a generated project (no PKG/settings.json); pass a project "
            "made by `wfadvise new`, or --answers FILE"
        )
    if len(found) > 1:
        names = ", ".join(str(p.relative_to(directory)) for p in found)
        raise UserError(
            f"{directory} holds several settings files ({names}); pass the project root"
        )
    path = found[0]
    if not path.is_file():
        raise UserError(f"{path} is not a regular file; regenerate the project or restore it")
    if path.stat().st_size > MAX_BYTES:
        raise UserError(f"{path} is over {MAX_BYTES:,} bytes; restore it from version control")
    try:
        settings = Settings.load(path)
    except SettingsError as exc:  # names the file, the field and the fix already
        raise UserError(str(exc).splitlines()[0]) from None
    except (ValueError, OSError) as exc:
        raise UserError(
            f"{path}: not a valid settings file ({_first_line(exc)}); fix or regenerate it"
        ) from None
    return settings, path.parent / "prompts"


def run_estimate(
    settings: Settings,
    prompts_dir: Path | None,
    volume: int | None,
    input_tokens: int | None,
    traces: Sequence[Path],
    *,
    from_answers: Path | None,
) -> Estimate:
    """The estimate, with runtime errors turned into one-line user errors."""
    try:
        return estimate_project(settings, prompts_dir, volume, input_tokens, list(traces))
    except UnknownModelPrice as exc:
        if from_answers is None:
            raise UserError(str(exc)) from None
        raise UserError(
            f"no price known for model {exc.model!r} (step {exc.step!r}); name a model litellm "
            "knows under `models:` in the answers file, or generate the project and give a "
            'price in PKG/settings.json under "prices"'
        ) from None
    except TraceError as exc:
        raise UserError(str(exc)) from None


def write_atomically(path: Path, text: str) -> None:
    """Write a file whole or not at all."""
    if not path.parent.is_dir():
        raise UserError(f"--plot {path}: folder {path.parent} does not exist; create it first")
    if path.is_dir():
        raise UserError(f"--plot {path} is a folder; name a file, e.g. {path / 'cost.svg'}")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UserError(f"--plot {path}: cannot write in {path.parent} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(
            f"--plot {path}: cannot write it ({exc.strerror}); pick another path"
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _title(est: Estimate) -> str:
    return f"Monthly cost vs requests per day: {est.pattern} and alternatives"


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return f"{where}: {err['msg']}"
    return str(exc).splitlines()[0]
