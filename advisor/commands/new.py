"""`wfadvise new DIR`: recommendation -> rendered project, written atomically."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import typer

from ..errors import Failure, UserError
from ..recommendation import Recommendation
from ..render import ProjectSpec, copier_data, render_data
from ..template_store import Published, publish


@dataclass(frozen=True)
class Made:
    """What `new` wrote."""

    path: Path
    """The project directory."""
    package: str
    """The Python package inside it."""
    files: int
    """Files written."""
    pattern: str
    """The recommended pattern."""


def new_command(directory: Path, answers: Path | None, *, force: bool, check: bool) -> None:
    """Obtain a recommendation, render it into DIR atomically, optionally test it."""
    from ..intake import obtain

    target = directory.expanduser().resolve()
    refuse_non_empty(target, force=force)  # before the interview: never ask, then refuse
    made = write_project(spec_from(obtain(answers, default_name=target.name)), target, force=force)
    typer.echo(summary(made))
    if check:
        typer.echo(check_project(made.path))


def spec_from(rec: Recommendation) -> ProjectSpec:
    """The rendering input for a recommendation."""
    return ProjectSpec(
        settings=rec.settings(),
        recommendation=rec.to_contract(),
        task=rec.answers.task,
        answers=rec.answers.model_dump(mode="json", by_alias=True),
    )


def refuse_non_empty(target: Path, *, force: bool) -> None:
    """A non-empty DIR (or a file) is refused unless --force."""
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} is a file; pass a directory for the new project")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UserError(
            f"{target} is not empty; pick a new directory, or pass --force to write into it"
        )


def write_project(
    spec: ProjectSpec, target: Path, *, force: bool = False, published: Published | None = None
) -> Made:
    """Render into a temporary directory next to `target`, then move it into place.

    Any failure (or Ctrl-C) while rendering leaves nothing behind; a new or empty `target`
    appears in one rename.
    """
    refuse_non_empty(target, force=force)
    published = published or publish()
    data = copier_data(spec)
    created = _first_missing(target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.wfadvise-", dir=target.parent))
    try:
        render_data(data, staging / "project", published=published)
        files = sum(1 for p in (staging / "project").rglob("*") if p.is_file())
        _move_into_place(staging / "project", target)
    except BaseException:
        if created is not None:  # folders made only to hold the project go with it
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Made(path=target, package=data["package"], files=files, pattern=spec.settings.pattern)


def _first_missing(folder: Path) -> Path | None:
    """The outermost ancestor of `folder` (or itself) that does not exist yet."""
    missing = None
    for path in [folder, *folder.parents]:
        if path.exists():
            break
        missing = path
    return missing


def _move_into_place(rendered: Path, target: Path) -> None:
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        rendered.rename(target)  # atomic on one file system
        return
    # --force into a non-empty directory: replace file by file (each replacement is atomic).
    for src in sorted(rendered.rglob("*")):
        dest = target / src.relative_to(rendered)
        if src.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        else:
            src.replace(dest)


def summary(made: Made) -> str:
    """What was made and the next three commands."""
    where = made.path
    with contextlib.suppress(ValueError):
        where = made.path.relative_to(Path.cwd())
    return "\n".join(
        [
            f"Created {where}/ ({made.files} files): pattern {made.pattern}, package "
            f"`{made.package}`. Read {where}/README.md for why this pattern and its budgets.",
            "",
            "Next:",
            f'  cd {where} && pip install -e ".[dev]"',
            f'  python -m {made.package} run --mock "your input"   # offline, no key needed',
            "  pytest                                              # the project's own tests",
            "",
            "Later: `git init && git add -A && git commit -m generated` once, then "
            f"`wfadvise update {where}` brings template upgrades and keeps your edits.",
        ]
    )


def check_project(project: Path) -> str:
    """Install the project in a throwaway venv and run its tests there (`--check`)."""
    with tempfile.TemporaryDirectory(prefix="wfadvise-check-") as tmp:
        venv = Path(tmp) / "venv"
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(python), "-m", "pip", "install", "--quiet", f"{project}[dev]"],
            [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        ]
        for cmd in steps:
            proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
                raise Failure(f"--check failed at `{' '.join(cmd[-3:])}`:\n" + "\n".join(tail))
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "passed"
    return f"--check: installed in a fresh venv and ran the tests: {last}"
