"""The git-versioned template source that copier copies from and updates against.

copier updates a project by re-rendering the template at the version recorded in the project's
`.copier-answers.yml` and merging the difference, so it needs a git repository with a tag per
template version. A pip-installed wfadvise ships `templates/project/` and `runtime/` as plain
files; this module assembles them (the runtime vendored into the template, from the one copy in
`runtime/`) into a local git repository, the *store*, and tags each distinct content with the
wfadvise version. Older tags stay, so projects made by an older wfadvise can still be updated.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import Failure

STORE_ENV = "WFADVISE_TEMPLATE_STORE"
RUNTIME_DEST = Path("template") / "{{ package }}" / "_runtime"
_FINGERPRINTS = "wfadvise-fingerprints"
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")
_GIT_IDENTITY = (
    "-c",
    "user.name=wfadvise",
    "-c",
    "user.email=wfadvise@localhost",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "tag.gpgsign=false",
    "-c",
    f"core.hooksPath={os.devnull}",
)


@dataclass(frozen=True, kw_only=True)
class TemplateSource:
    """Where the template's parts live on disk, and the version they make together."""

    template_dir: Path
    """The copier template (`templates/project`: copier.yml and the template/ folder)."""
    runtime_dir: Path
    """The runtime package vendored into every generated project."""
    version: str
    """The wfadvise version this content is published as (a PEP 440 version)."""


@dataclass(frozen=True, kw_only=True)
class Published:
    """A template version in the store, ready for copier."""

    path: Path
    """The store's git repository (copier's `src_path`)."""
    tag: str
    """The git tag of this content (copier's `vcs_ref`, recorded as `_commit`)."""


def default_source() -> TemplateSource:
    """The template and runtime shipped with this wfadvise (a checkout or an installed wheel)."""
    import runtime

    package_root = Path(__file__).resolve().parent.parent
    return TemplateSource(
        template_dir=package_root / "templates" / "project",
        runtime_dir=Path(runtime.__file__).resolve().parent,
        version=__version__,
    )


def store_path() -> Path:
    """Where the store lives: `$WFADVISE_TEMPLATE_STORE`, else the user's data directory."""
    override = os.environ.get(STORE_ENV)
    if override:
        return Path(override).expanduser().resolve()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "wfadvise" / "template-store"


def publish(source: TemplateSource | None = None, store: Path | None = None) -> Published:
    """Make sure the store holds `source` and return its tag (cheap when it already does)."""
    source = source or default_source()
    store = store or store_path()
    if not (source.template_dir / "copier.yml").is_file():
        raise Failure(f"the template is missing at {source.template_dir}; reinstall wfadvise")
    fingerprint = _fingerprint(source)
    with _locked(store):
        known = _known_tag(store, fingerprint)
        if known is not None:
            return Published(path=store, tag=known)
        _init(store)
        _assemble(source, store)
        tag = _commit_and_tag(store, source.version, fingerprint)
    return Published(path=store, tag=tag)


def tags(store: Path) -> list[str]:
    """Every template version the store holds."""
    if not (store / ".git").is_dir():
        return []
    return _git(store, "tag", "--list").split()


def vendored_runtime(store: Path, tag: str) -> dict[str, bytes]:
    """The vendored runtime's files at a template version: path under `_runtime/` -> bytes."""
    prefix = RUNTIME_DEST.as_posix()
    archive = _git_bytes(store, "archive", "--format=tar", tag, "--", prefix)
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                files[member.name.removeprefix(prefix + "/")] = handle.read()
    return files


def _fingerprint(source: TemplateSource) -> str:
    """A hash over every file that goes into the store, so unchanged content is not re-tagged."""
    digest = hashlib.sha256()
    for base, prefix in ((source.template_dir, "t"), (source.runtime_dir, "r")):
        for path in sorted(_files(base)):
            digest.update(f"{prefix}/{path.relative_to(base).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _files(base: Path) -> Iterator[Path]:
    for path in base.rglob("*"):
        parts = path.relative_to(base).parts
        skipped = path.suffix == ".pyc" or any(p in {"__pycache__", ".mypy_cache"} for p in parts)
        if path.is_file() and not skipped:
            yield path


def _known_tag(store: Path, fingerprint: str) -> str | None:
    """The tag already published for this content, if any (and if the tag still exists)."""
    record = store / ".git" / _FINGERPRINTS
    if not record.is_file():
        return None
    for line in record.read_text(encoding="utf-8").splitlines():
        known_fp, _, tag = line.partition(" ")
        if known_fp == fingerprint and tag in tags(store):
            return tag
    return None


def _init(store: Path) -> None:
    if (store / ".git").is_dir():
        return
    store.mkdir(parents=True, exist_ok=True)
    _git(store, "init", "--quiet")


def _assemble(source: TemplateSource, store: Path) -> None:
    """Replace the store's work tree with the template plus the vendored runtime."""
    for child in store.iterdir():
        if child.name == ".git":
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    shutil.copytree(source.template_dir, store, dirs_exist_ok=True, ignore=_SKIP)
    runtime_dest = store / RUNTIME_DEST
    if runtime_dest.exists():
        shutil.rmtree(runtime_dest)
    shutil.copytree(source.runtime_dir, runtime_dest, ignore=_SKIP)


def _commit_and_tag(store: Path, version: str, fingerprint: str) -> str:
    _git(store, "add", "--all", "--force", ".")
    _git(store, "commit", "--quiet", "--allow-empty", "-m", f"wfadvise template {version}")
    tag = _free_tag(store, version)
    _git(store, "tag", tag)
    with (store / ".git" / _FINGERPRINTS).open("a", encoding="utf-8") as record:
        record.write(f"{fingerprint} {tag}\n")
    return tag


def _free_tag(store: Path, version: str) -> str:
    """The version itself, or `VERSION.postN` when a dev checkout changed the same version."""
    taken = set(tags(store))
    if version not in taken:
        return version
    n = 1
    while f"{version}.post{n}" in taken:
        n += 1
    return f"{version}.post{n}"


@contextmanager
def _locked(store: Path) -> Iterator[None]:
    """Serialise publishers: two `wfadvise new` at once must not interleave git commands."""
    store.parent.mkdir(parents=True, exist_ok=True)
    lock_path = store.parent / f"{store.name}.lock"
    with lock_path.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: no flock; concurrent publishers are rare there
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _git(cwd: Path, *args: str) -> str:
    return _git_bytes(cwd, *args).decode("utf-8", errors="replace")


def _git_bytes(cwd: Path, *args: str) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *_GIT_IDENTITY, *args], cwd=cwd, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise Failure("wfadvise needs git to version its template; install git") from None
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", errors="replace").strip()
        raise Failure(f"git {args[0]} failed in the template store {cwd}: {stderr}")
    return proc.stdout
