"""User names made safe for generated code: identifiers, class names and string literals.

Whatever a user calls a step, category or tool (spaces, unicode, keywords, quotes, braces,
duplicates), the generated project must compile and stay ruff-clean, so the template never
puts a raw user string into code: it uses the identifiers and literals made here.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
import unicodedata
from collections.abc import Iterable

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
# Packages that a project package must not shadow (it is imported by its name).
_TAKEN_PACKAGES = frozenset({"tests", "pydantic", "litellm", "runtime", "advisor", "test"})


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
        or ident in _TAKEN_PACKAGES
        or ident in _BUILTINS
    ):
        ident = f"{ident}_app"
    return ident


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
