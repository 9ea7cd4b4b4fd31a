"""`wfadvise estimate`: a generated project's (or an answers file's) cost, expected and worst."""

from __future__ import annotations

import errno
import json
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
from ..identifiers import package_name
from ..userfiles import MAX_BYTES, parse_yaml, read_text
from .new import ANSWERS_FILE
from .update import ANSWERS_FILE as COPIER_ANSWERS

if sys.version_info >= (3, 11):
    import tomllib

    def _toml(text: str) -> dict[str, Any]:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return {}

else:

    def _toml(text: str) -> dict[str, Any]:
        return {}  # tomllib is 3.11+; the two answers files name the package anyway


SETTINGS_FILE = "settings.json"
"""The generated package's settings, beside its `prompts/` folder."""


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
    if plot is not None:
        check_plot_path(plot)  # before any work: a wrong path is a usage mistake
    settings, prompts = load_source(directory, answers)
    est = run_estimate(settings, prompts, volume, input_tokens, traces, from_answers=answers)
    if plot is not None:
        write_atomically(plot, svg_chart(series(est), est.volume_per_day, title=_title(est)))
    if as_json:
        typer.echo(json.dumps(contract_dict(est), indent=2))
        return
    from ..estimate_view import show_estimate

    show_estimate(est, plot=plot)


def load_source(
    directory: Path | None, answers: Path | None
) -> tuple[Settings, Path | dict[str, str]]:
    """Settings and prompt folder from a project, or settings diagnosed from answers and the
    prompt texts the template would write for them (what `recommend` prices too)."""
    if directory is not None and answers is not None:
        raise UserError("give a project DIR or --answers FILE, not both")
    if directory is None and answers is None:
        raise UserError("nothing to estimate: pass a generated project DIR, or --answers FILE")
    if answers is not None:
        from ..answers import load_answers
        from ..diagnose import diagnose
        from ..prompt_texts import prompt_texts

        rec = diagnose(load_answers(answers))
        return rec.settings(), prompt_texts(rec)
    assert directory is not None
    return load_project(directory)


def load_project(directory: Path) -> tuple[Settings, Path]:
    """The settings file and prompt folder of a generated project."""
    if not directory.is_dir():
        raise UserError(f"{directory}: no such directory; pass a project made by `wfadvise new`")
    path = settings_path(directory)
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


def settings_path(directory: Path) -> Path:
    """Where the project in `directory` keeps its settings: `PKG/settings.json` for the package
    its answers files or pyproject name, or `settings.json` when `directory` is the package.

    Only those places: any other `*/settings.json` under the folder belongs to something else
    (`estimate /tmp` once read a stray `/tmp/tmpXXXX/settings.json`).
    """
    packages = project_packages(directory)
    for package in packages:
        candidate = directory / package / SETTINGS_FILE
        if candidate.exists() or candidate.is_symlink():  # a FIFO is found, then refused
            return candidate
    if packages:
        where = f"{packages[0]}/{SETTINGS_FILE}"
        raise UserError(
            f"{directory / where} is missing; restore it (`git checkout -- {where}`) or "
            "regenerate the project with `wfadvise new`"
        )
    if all((directory / name).is_file() for name in (SETTINGS_FILE, "__init__.py", "__main__.py")):
        return directory / SETTINGS_FILE  # DIR is the project's package itself
    raise UserError(
        f"not a wfadvise project: {directory} (no {ANSWERS_FILE} / PKG/{SETTINGS_FILE}); "
        "pass a project folder or --answers FILE"
    )


def project_packages(directory: Path) -> list[str]:
    """The package names the project's own files give, most trusted first, no duplicates."""
    names = [
        _recorded(directory / COPIER_ANSWERS, "package"),
        _package_of(_recorded(directory / ANSWERS_FILE, "name")),
        *_pyproject_packages(directory / "pyproject.toml"),
    ]
    return list(dict.fromkeys(n for n in names if n is not None and n.isidentifier()))


def _recorded(path: Path, key: str) -> str | None:
    """One string value of a YAML mapping the project holds; None if it is not there."""
    if not path.is_file():
        return None
    try:
        data = parse_yaml(read_text(path, what="file", fix="-"), source=str(path))
    except UserError:  # a damaged record: the other files may still name the package
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _package_of(project_name: str | None) -> str | None:
    return None if project_name is None else package_name(project_name)


def _pyproject_packages(path: Path) -> list[str]:
    """The packages pyproject.toml lists for setuptools, then the one its name gives."""
    if not path.is_file():
        return []
    try:
        data = _toml(read_text(path, what="file", fix="-"))
    except UserError:
        return []
    found = _dig(data, "tool", "setuptools", "packages", "find", "include")
    name = _dig(data, "project", "name")
    out = [p.rstrip("*") for p in found if isinstance(p, str)] if isinstance(found, list) else []
    return [*out, *([package_name(name)] if isinstance(name, str) else [])]


def _dig(data: object, *keys: str) -> object:
    """`data[k1][k2]...`, or None where a level is missing or not a table."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def run_estimate(
    settings: Settings,
    prompts: Path | dict[str, str],
    volume: int | None,
    input_tokens: int | None,
    traces: Sequence[Path],
    *,
    from_answers: Path | None,
) -> Estimate:
    """The estimate (of a prompt folder, or of prompt texts by step), with runtime errors turned
    into one-line user errors."""
    folder, texts = (prompts, None) if isinstance(prompts, Path) else (None, prompts)
    try:
        return estimate_project(settings, folder, volume, input_tokens, list(traces), prompts=texts)
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


PLOT_SUFFIX = ".svg"
"""The one format `--plot` writes (runtime.estimate.chart.svg_chart)."""


def check_plot_path(path: Path) -> None:
    """Refuse a `--plot` path the SVG chart cannot go to: another suffix (an SVG in a .png
    file opens as a broken image), a folder, or a folder that does not exist."""
    if path.is_dir():
        raise UserError(f"--plot {path} is a folder; name a file, e.g. {path / 'cost.svg'}")
    if path.suffix.lower() != PLOT_SUFFIX:
        raise UserError(
            f"--plot {path}: the chart is an SVG image; name a {PLOT_SUFFIX} file, e.g. "
            f"{path.with_suffix(PLOT_SUFFIX) if path.suffix else path.name + PLOT_SUFFIX}"
        )
    if not path.parent.is_dir():
        raise UserError(f"--plot {path}: folder {path.parent} does not exist; create it first")


def write_atomically(path: Path, text: str) -> None:
    """Write a file whole or not at all, with the mode a new file gets (0666 under the umask,
    as `open` makes it; mkstemp's 0600 would hide the chart from a web server or a colleague)."""
    check_plot_path(path)
    try:
        tmp, fd = _new_file(path)
    except OSError as exc:
        raise UserError(f"--plot {path}: cannot write in {path.parent} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(
            f"--plot {path}: cannot write it ({exc.strerror}); pick another path"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _new_file(path: Path) -> tuple[Path, int]:
    """A new hidden file beside `path` (mode 0666 under the umask), and its descriptor."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def _title(est: Estimate) -> str:
    return f"Monthly cost vs requests per day: {est.pattern} and alternatives"


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return f"{where}: {err['msg']}"
    return str(exc).splitlines()[0]
