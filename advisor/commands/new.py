"""`wfadvise new DIR`: recommendation -> rendered project, written atomically."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
import yaml

from ..data_flags import parse_data
from ..diagnosis.budget_advice import price_entry
from ..errors import Interrupted, UserError
from ..project_check import check_project
from ..recommendation import Recommendation
from ..render import ProjectSpec, copier_data, render_data
from ..staging import make_staging, remove_leftovers
from ..template_store import Published, publish

ANSWERS_FILE = "wfadvise-answers.yaml"
"""The answers a project was made from, in the project: `--answers` reads it back."""


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


def new_command(
    directory: Path,
    answers: Path | None,
    data: Sequence[str] = (),
    *,
    force: bool,
    check: bool,
    dry_run: bool = False,
) -> None:
    """Obtain a recommendation, render it into DIR atomically, optionally test it."""
    from ..intake import obtain

    target = directory.expanduser().resolve()
    # before the interview: never ask, then refuse (a dry run refuses as the real run would)
    refuse_non_empty(target, force=force)
    preset = parse_data(data)  # a typo in --data is named before the interview starts
    rec = obtain(answers, data=preset, default_name=target.name)
    spec = spec_from(rec)
    if dry_run:
        typer.echo(dry_run_listing(spec, target, force=force))
        return
    if target.parent.is_dir():
        remove_leftovers(target.parent)
    made = write_project(spec, target, force=force)
    typer.echo(created(made))
    if rec.warnings:
        typer.echo(warnings_text(rec.warnings))
    typer.echo(answers_used(rec, made.path / ANSWERS_FILE))
    if check:
        try:
            typer.echo(check_project(made.path, echo=typer.echo))
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted during --check: {_shown(made.path)}/ is complete; only the check "
                "stopped"
            ) from None
    typer.echo(next_steps(made, price_first=_unpriced_under_budget(rec)))


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
    inside = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if inside is not None:  # before the interview, not a FileExistsError at the end
        raise UserError(f"{inside} is a file, so {target} cannot be made in it; pick a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UserError(
            f"{target} is not empty; pick a new directory, or pass --force to write into it"
        )


def write_project(
    spec: ProjectSpec, target: Path, *, force: bool = False, published: Published | None = None
) -> Made:
    """Render into a temporary directory next to `target`, then move it into place.

    Any failure (or Ctrl-C) while rendering leaves nothing behind; a new or empty `target`
    appears in one rename. The answers are saved in the project as `wfadvise-answers.yaml`.
    """
    refuse_non_empty(target, force=force)
    published = published or publish()
    data = copier_data(spec)
    created = _first_missing(target.parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = make_staging(target)
    except OSError as err:  # a read-only or special folder (/proc), no permission
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise UserError(
            f"cannot write into {target.parent}: {err.strerror or err}; pick a folder you can "
            "write to"
        ) from None
    try:
        rendered = render_data(data, staging / "project", published=published)
        (rendered / ANSWERS_FILE).write_text(answers_yaml(spec.answers), encoding="utf-8")
        files = sum(1 for p in rendered.rglob("*") if p.is_file())
        _move_into_place(rendered, target)
    except BaseException:
        if created is not None:  # folders made only to hold the project go with it
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Made(path=target, package=data["package"], files=files, pattern=spec.settings.pattern)


def dry_run_listing(spec: ProjectSpec, target: Path, *, force: bool = False) -> str:
    """What `new` would write into `target`, rendered in a temporary folder elsewhere."""
    with tempfile.TemporaryDirectory(prefix="wfadvise-dry-run-") as tmp:
        rendered = render_data(copier_data(spec), Path(tmp) / "project", published=publish())
        (rendered / ANSWERS_FILE).write_text(answers_yaml(spec.answers), encoding="utf-8")
        files = sorted(p.relative_to(rendered) for p in rendered.rglob("*") if p.is_file())
    lines = [
        f"Dry run: `new` would write {len(files)} files into {_shown(target)}/ "
        f"(pattern {spec.settings.pattern}); nothing was written.",
    ]
    for rel in files:
        mine = " (replaces your file)" if (target / rel).exists() else ""
        lines.append(f"  {rel.as_posix()}{mine}")
    return "\n".join(lines)


def answers_yaml(answers: Mapping[str, Any]) -> str:
    """The answers as a file `--answers` reads back: only what differs from the defaults.

    `answers` is the JSON dump the project records; it is compared with each field's default,
    not validated again (the dump of every field may not be a valid file on its own).
    """
    given = {
        key: _without_nulls(value) for key, value in answers.items() if not _is_default(key, value)
    }
    return (
        "# The answers this project was generated from (format: docs/answers.md in wfadvise).\n"
        "# Generate it again, or a variant: wfadvise new DIR --answers wfadvise-answers.yaml\n"
        + yaml.safe_dump(given, sort_keys=False, allow_unicode=True, default_flow_style=None)
    )


def _without_nulls(value: Any) -> Any:
    """A value with its nested mappings' unset (null) keys left out: `{name: x, each: null}`."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _is_default(key: str, value: Any) -> bool:
    from ..answers import Answers

    for name, field in Answers.model_fields.items():
        if key in (name, field.alias):
            default = field.get_default(call_default_factory=True)
            return bool(value == default or (value in ({}, []) and not default))
    return False


def answers_used(rec: Recommendation, saved: Path) -> str:
    """The answers, and where they are saved for `--answers`."""
    text = answers_yaml(rec.answers.model_dump(mode="json", by_alias=True))
    body = [line for line in text.splitlines() if not line.startswith("#")]
    return "\n".join([f"Answers used (saved in {_shown(saved)}):", *(f"  {line}" for line in body)])


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


def created(made: Made) -> str:
    """What was made."""
    where = _shown(made.path)
    return _wrap(
        f"Created {where}/ ({made.files} files): pattern {made.pattern}, package "
        f"`{made.package}`. Read {where}/README.md for why this pattern and its budgets."
    )


def warnings_text(warnings: Sequence[str]) -> str:
    """The recommendation's warnings (also in the project's README), wrapped."""
    width = max(40, shutil.get_terminal_size().columns - 1)
    lines = ["", "Warnings (also in README.md):"]
    for warning in warnings:
        lines += textwrap.wrap(
            warning,
            width,
            initial_indent="  - ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join([*lines, ""])


def _unpriced_under_budget(rec: Recommendation) -> list[str]:
    """Models without a price in a project with a dollar budget (its runs refuse to start)."""
    from ..diagnosis.budget_advice import unpriced_models

    settings = rec.settings()
    return [] if settings.limits.max_usd is None else unpriced_models(settings)


def next_steps(made: Made, *, price_first: Sequence[str] = ()) -> str:
    """The next commands (printed last, after any --check); first, when a model has no price
    and the project has a dollar budget, where to give the price (no run starts without it)."""
    where = _shown(made.path)
    price = []
    if price_first:
        settings = f"{where}/{made.package}/settings.json"
        price = [
            f"  # first give {_names(price_first)} a price: no run starts without it (the",
            f"  # budget, max_usd, counts with it). In {settings} add",
            f"  #   {price_entry(price_first)}   (dollars per million tokens)",
        ]
    return "\n".join(
        [
            "",
            "Next:",
            *price,
            f'  cd {where} && pip install -e ".[dev]"',
            f'  python -m {made.package} run --mock "your input"   # offline, no key needed',
            "  pytest                                              # the project's own tests",
            "",
            _wrap(
                "Later: `git init && git add -A && git commit -m generated` once, then "
                f"`wfadvise update {where}` brings template upgrades and keeps your edits."
            ),
        ]
    )


def _names(models: Sequence[str]) -> str:
    return ", ".join(repr(m) for m in models)


def summary(made: Made) -> str:
    """What was made and the next commands."""
    return created(made) + "\n" + next_steps(made)


def _wrap(text: str) -> str:
    """Prose wrapped at the terminal's width, at spaces (commands stay on their own lines)."""
    width = max(40, shutil.get_terminal_size().columns - 1)
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def _shown(path: Path) -> Path:
    """`path` relative to the working directory when it is below it."""
    with contextlib.suppress(ValueError):
        return path.relative_to(Path.cwd())
    return path
