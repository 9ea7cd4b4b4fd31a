"""`wfadvise update DIR`: copier update from the template store, keeping the user's edits."""

from __future__ import annotations

import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import typer

from ..errors import Failure, UserError
from ..template_store import Published, publish, tags, vendored_runtime
from ..userfiles import brief, parse_yaml, read_text
from ..vendoring import needed_files, project_sources, prune

ANSWERS_FILE = ".copier-answers.yml"
_MARKERS = ("<<<<<<< before updating", ">>>>>>> after updating")


@dataclass(frozen=True)
class Updated:
    """What an update did."""

    from_version: str
    """Template version the project was at."""
    to_version: str
    """Template version it is at now."""
    changed: list[str] = field(default_factory=list)
    """Files the update changed (relative to the project)."""
    conflicts: list[str] = field(default_factory=list)
    """Files left with conflict markers for the user to resolve."""
    restored: list[str] = field(default_factory=list)
    """Vendored runtime files that were missing and were written back (relative paths)."""


def update_command(directory: Path) -> None:
    """Update the project and report what changed; conflicts are an error naming the files."""
    result = update_project(directory)
    typer.echo(report(result))
    if result.conflicts:
        raise Failure(
            "the update left conflicts in: "
            + ", ".join(result.conflicts)
            + " — resolve the <<<<<<< / >>>>>>> markers, then `git add` and commit"
        )


def update_project(directory: Path, *, published: Published | None = None) -> Updated:
    """Bring a generated project to this wfadvise's template version."""
    project = directory.expanduser().resolve()
    if not project.is_dir():
        raise UserError(
            f"{directory}: no such folder; pass the folder of a project made by `wfadvise new`"
        )
    recorded = read_recorded(project)
    require_clean_git(project)
    published = published or publish()
    current = str(recorded["_commit"])
    if current == published.tag:
        restored = restore_runtime(project, recorded, published)
        return Updated(from_version=current, to_version=current, restored=restored)
    src = Path(str(recorded.get("_src_path", "")))
    if src.resolve() != published.path.resolve():
        raise UserError(
            f"{ANSWERS_FILE} points at the template store {src}, but this wfadvise uses "
            f"{published.path}; set _src_path in {ANSWERS_FILE} to {published.path} (or set "
            "WFADVISE_TEMPLATE_STORE to the old store), commit, and run update again"
        )
    known = tags(published.path)
    if current not in known:
        raise UserError(
            f"{ANSWERS_FILE} records template version {brief(current)}, which the template "
            f"store does not hold (it has {', '.join(known[-5:]) or 'none'}); restore "
            f"{ANSWERS_FILE} from git, or set _commit to the version the project was made with"
        )
    _copier_update(project, published)
    restored = restore_runtime(project, recorded, published)
    prune(project, str(recorded["package"]))  # modules the updated project no longer imports
    return Updated(
        from_version=current,
        to_version=published.tag,
        changed=_git_lines(project, "status", "--porcelain", "--untracked-files=all"),
        conflicts=find_conflicts(project),
        restored=restored,
    )


def read_recorded(project: Path) -> dict[str, object]:
    """The copier answers recorded in the project (its template source and version)."""
    path = project / ANSWERS_FILE
    fix = f"restore {ANSWERS_FILE} from git (`git checkout -- {ANSWERS_FILE}`)"
    if not path.exists():
        raise UserError(
            f"{project} has no {ANSWERS_FILE}: it was not made by `wfadvise new` "
            "(or the file was deleted; restore it from git)"
        )
    data = parse_yaml(
        read_text(path, what="copier answers file", fix=fix), source=str(path), fix=fix
    )
    if not isinstance(data, dict):
        raise UserError(f"{path} is not a mapping of copier answers; {fix}")
    commit = data.get("_commit")
    if not isinstance(commit, (str, int, float)) or not str(commit).strip():
        raise UserError(f"{path} has no template version (_commit); {fix}")
    package = data.get("package")
    if not isinstance(package, str) or not package.isidentifier():
        raise UserError(f"{path} names no valid package (package: {brief(package)}); {fix}")
    return data


def restore_runtime(project: Path, recorded: dict[str, object], published: Published) -> list[str]:
    """Write back the vendored runtime files (`PKG/_runtime/`) that are missing and that the
    project's code imports (a project vendors only those); edits stay."""
    package = str(recorded["package"])
    runtime_dir = project / package / "_runtime"
    files = vendored_runtime(published.path, published.tag)
    texts = {rel: data.decode("utf-8") for rel, data in files.items() if rel.endswith(".py")}
    needed = needed_files(texts, project_sources(project, package), package)
    restored: list[str] = []
    for relative, content in sorted(files.items()):
        target = runtime_dir / relative
        if target.exists() or target.is_symlink():
            continue
        if relative.endswith(".py") and relative not in needed:
            continue
        if not relative.endswith(".py") and not any(
            n.startswith(relative.rpartition("/")[0]) for n in needed
        ):
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        except OSError as exc:
            raise UserError(
                f"cannot restore {target.relative_to(project)}: {exc.strerror or exc}; "
                f"remove whatever is in the way under {runtime_dir.relative_to(project)} "
                "and run update again"
            ) from None
        restored.append(target.relative_to(project).as_posix())
    return restored


def require_clean_git(project: Path) -> None:
    """copier merges through git: the project must be a git work tree with nothing uncommitted."""
    probe = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        raise UserError(
            f"{project} is not in a git repository; update merges through git: run "
            "`git init && git add -A && git commit -m generated` there first"
        )
    dirty = _git_lines(project, "status", "--porcelain", "--untracked-files=all")
    if dirty:
        names = ", ".join(line[3:] for line in dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise UserError(
            f"{project} has uncommitted changes ({names}); commit or stash them, then update"
        )


def find_conflicts(project: Path) -> list[str]:
    """Files with unmerged entries or copier's conflict markers."""
    unmerged = set(_git_lines(project, "diff", "--name-only", "--diff-filter=U"))
    for line in _git_lines(project, "status", "--porcelain", "--untracked-files=all"):
        name = line[3:]
        path = project / name
        if path.is_file() and _has_markers(path):
            unmerged.add(name)
    return sorted(unmerged)


def report(result: Updated) -> str:
    """A short account of the update."""
    restored = (
        f"Restored {len(result.restored)} missing file(s) of the vendored runtime "
        f"({result.restored[0].split('/_runtime/')[0]}/_runtime/)."
        if result.restored
        else ""
    )
    if result.from_version == result.to_version:
        if not restored:
            return f"Already at template {result.to_version}; nothing to update."
        return (
            f"{restored}\nAlready at template {result.to_version}. "
            "Review with `git status`, then commit."
        )
    lines = [f"Updated from template {result.from_version} to {result.to_version}."]
    if restored:
        lines.append(restored)
    if result.changed:
        lines.append("Changed: " + ", ".join(line[3:] for line in result.changed))
    lines.append("Review with `git diff`, run the tests, then commit.")
    return "\n".join(lines)


def _copier_update(project: Path, published: Published) -> None:
    from copier import run_update
    from copier.errors import CopierError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            run_update(
                project,
                vcs_ref=published.tag,
                defaults=True,
                overwrite=True,
                skip_answered=True,
                quiet=True,
                conflict="inline",
                unsafe=False,
            )
    except CopierError as exc:
        raise Failure(f"copier update failed: {_first_line(exc)}") from None
    except (ValueError, OSError, subprocess.SubprocessError) as exc:
        raise Failure(
            f"copier update failed: {_first_line(exc)}; the project was committed before the "
            "update, so `git status` shows anything it changed"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _has_markers(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    return any(line.rstrip() in _MARKERS for line in text.splitlines())


def _git_lines(project: Path, *args: str) -> list[str]:
    proc = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise Failure(f"git {args[0]} failed in {project}: {proc.stderr.strip()}")
    return [line for line in proc.stdout.splitlines() if line.strip()]
