"""User names made safe for generated code: identifiers, class names and string literals.

Whatever a user calls a step, category or tool (spaces, unicode, keywords, quotes, braces,
duplicates), the generated project must compile and stay ruff-clean, so the template never
puts a raw user string into code: it uses the identifiers and literals made here.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import re
import sys
import unicodedata
from collections.abc import Iterable
from importlib import metadata

# Names the generated modules define or import; a user name must not shadow them.
RESERVED = frozenset(
    {
        "annotations",
        "any",
        "asyncio",
        "basemodel",
        "build",
        "config_dict",
        "field",
        "json",
        "literal",
        "main",
        "path",
        "prompt",
        "run",
        "schemas",
        "settings",
        "step",
        "tools",
        "workflow",
    }
)
# The folders a generated project has beside its package.
_PROJECT_FOLDERS = frozenset({"tests", "test"})
# What runs in a generated project's folder, by distribution, with the import names each one
# brings: its pyproject's dependencies (tests/test_trial_advisor.py checks it lists them all),
# its dev tools, and wfadvise itself (`wfadvise update` runs there). A project package named
# like one of them would be imported in its place. Installed ones add what they depend on.
PROJECT_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "pydantic": ("pydantic", "pydantic_core"),
    "litellm": ("litellm",),
    "openai": ("openai", "httpx", "httpcore", "anyio"),
    "python-dotenv": ("dotenv",),
    "dbos": ("dbos",),
    "rich": ("rich",),
    "sqlalchemy": ("sqlalchemy",),
    "psycopg": ("psycopg", "psycopg_binary"),
    "pytest": ("pytest", "_pytest", "pluggy"),
    "ruff": ("ruff",),
    "setuptools": ("setuptools", "pkg_resources", "_distutils_hack"),
    "wheel": ("wheel",),
    "wfadvise": ("wfadvise", "advisor", "runtime", "templates", "copier", "typer", "yaml"),
}


def snake(text: str, *, fallback: str = "step") -> str:
    """An ASCII snake_case identifier for `text` (not checked for clashes)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_text)
    ident = "_".join(w.lower() for w in words) or fallback
    if ident[0].isdigit():
        ident = f"{fallback}_{ident}"
    return ident


def unique_identifiers(
    names: Iterable[str], *, fallback: str = "step", taken: Iterable[str] = ()
) -> dict[str, str]:
    """A distinct identifier per distinct name, avoiding keywords, builtins and `taken`."""
    used = set(RESERVED) | set(taken)
    result: dict[str, str] = {}
    for name in names:
        if name in result:
            continue
        base = snake(name, fallback=fallback)
        if keyword.iskeyword(base) or keyword.issoftkeyword(base) or base in _BUILTINS:
            base = f"{base}_"
        ident, n = base, 2
        while ident in used:
            ident, n = f"{base}_{n}", n + 1
        used.add(ident)
        result[name] = ident
    return result


def class_names(idents: Iterable[str], *, suffix: str = "") -> dict[str, str]:
    """A distinct CamelCase class name per identifier (e.g. `draft_2` -> `Draft2Output`)."""
    used: set[str] = {"BaseModel", "Field", "Literal", "ConfigDict", "Any"}
    result: dict[str, str] = {}
    for ident in idents:
        base = "".join(part[:1].upper() + part[1:] for part in ident.split("_") if part) or "Step"
        name, n = f"{base}{suffix}", 2
        while name in used:
            name, n = f"{base}{n}{suffix}", n + 1
        used.add(name)
        result[ident] = name
    return result


def package_name(project: str) -> str:
    """The import name for a project: snake case, never a keyword or a stdlib module."""
    ident = snake(project, fallback="workflow")
    if (
        keyword.iskeyword(ident)
        or keyword.issoftkeyword(ident)
        or ident in sys.stdlib_module_names
        or ident in _PROJECT_FOLDERS
        or ident in taken_imports()
        or ident in _BUILTINS
    ):
        ident = f"{ident}_app"
    return ident


@functools.cache
def taken_imports() -> frozenset[str]:
    """Every top-level import name of `PROJECT_DISTRIBUTIONS` and, where installed here,
    of everything they depend on (read from those packages' metadata only)."""
    names = {name for imports in PROJECT_DISTRIBUTIONS.values() for name in imports}
    todo, seen = [_normal(d) for d in PROJECT_DISTRIBUTIONS], set[str]()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        tops = {t.lower() for t in _top_level(dist) if t.isidentifier()}
        names |= {t for t in tops if not t.startswith("__")}  # not __pycache__
        todo += _requirements(dist)
    return frozenset(names)


def _top_level(dist: metadata.Distribution) -> set[str]:
    """What `dist` can be imported as: its top_level.txt, else the first parts of the paths
    its RECORD lists (read as text: parsing them as paths is ten times slower)."""
    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return set(declared)
    paths = (line.split(",", 1)[0] for line in (dist.read_text("RECORD") or "").splitlines())
    return {p.split("/", 1)[0] if "/" in p else p.removesuffix(".py") for p in paths}


def _requirements(dist: metadata.Distribution) -> list[str]:
    """The distributions `dist` always needs (not its extras'), from its METADATA's headers
    (read as text: the email parser behind `dist.requires` takes most of the time)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    headers = text.split("\n\n", 1)[0].splitlines()
    reqs = [
        h.removeprefix("Requires-Dist:").strip() for h in headers if h.startswith("Requires-Dist:")
    ]
    found = [re.match(r"[A-Za-z0-9._-]+", r) for r in reqs if "extra ==" not in r]
    return [_normal(m.group()) for m in found if m]


def _normal(dist: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", dist).lower()


def distribution_name(package: str) -> str:
    """A PEP 508 distribution name for a package name."""
    return package.replace("_", "-").strip("-") or "workflow"


def py_str(text: str) -> str:
    """A Python string literal for any text, quoted as `ruff format` quotes it.

    Double quotes, unless the text holds more double than single quotes (fewer escapes);
    non-printables escaped.
    """
    quote = "'" if text.count('"') > text.count("'") else '"'
    out: list[str] = []
    for ch in text:
        if ch in {"\\", quote}:
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return quote + "".join(out) + quote


def one_line(text: str) -> str:
    """Text for a single line of Markdown or a comment: whitespace runs become one space."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


_BUILTINS = frozenset(name.lower() for name in dir(builtins) if not name.startswith("_"))
