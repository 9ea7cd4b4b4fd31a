"""Which runtime modules a generated project vendors: those its own code can import.

The set is computed, not listed: the project's own Python files (everything outside
`PKG/_runtime/`) are parsed with `ast`, their imports of `PKG._runtime...` are the entry
points, and every module those import in turn (at module level or inside a function, not
under `if TYPE_CHECKING:`) is followed. A lazy package (`make_lazy(__name__, _MODULE_OF)`)
imports the module behind each public name on first use, so a name imported from it counts
as an import of the module `_MODULE_OF` maps it to.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

RUNTIME_DIR = "_runtime"
"""The vendored runtime's folder inside the generated package."""


def module_name(relative: str) -> str:
    """`combinators/route.py` -> `combinators.route`; `estimate/__init__.py` -> `estimate`."""
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def needed_files(
    runtime: Mapping[str, str], project_sources: Mapping[str, str], package: str
) -> set[str]:
    """The runtime files (paths relative to `_runtime/`) the project's own code can import.

    `runtime` maps each runtime file to its text; `project_sources` maps each of the project's
    own Python files (path relative to the project, posix) to its text.
    """
    files = {module_name(rel): rel for rel in runtime if rel.endswith(".py")}
    prefix = f"{package}.{RUNTIME_DIR}"
    todo: list[tuple[str, tuple[str, ...]]] = []
    for rel, text in project_sources.items():
        own = module_name(rel)
        try:
            tree = ast.parse(text)
        except SyntaxError:  # not Python we can read: keep every module rather than guess
            return {rel for rel in runtime if rel.endswith(".py")}
        for target, names in _imports(tree, own, is_package=rel.endswith("__init__.py")):
            if target == prefix or target.startswith(prefix + "."):
                todo.append((target[len(prefix) + 1 :], names))
    lazy = {mod: _lazy_map(runtime[rel]) for mod, rel in files.items()}
    seen: set[str] = set()
    while todo:
        target, names = todo.pop()
        for mod in _targets(target, names, files, lazy):
            if mod in seen:
                continue
            seen.add(mod)
            rel = files[mod]
            todo.extend(
                (t, n)
                for t, n in _imports(
                    ast.parse(runtime[rel]), mod, is_package=rel.endswith("__init__.py")
                )
            )
    return {files[m] for m in seen}


def _targets(
    target: str,
    names: tuple[str, ...],
    files: Mapping[str, str],
    lazy: Mapping[str, dict[str, str]],
) -> Iterator[str]:
    """The runtime modules one import statement loads: the module, its parents, and names."""
    parts = target.split(".") if target else []
    for i in range(len(parts) + 1):
        parent = ".".join(parts[:i])
        if parent in files:
            yield parent
    for name in names:
        sub = f"{target}.{name}" if target else name
        if sub in files:
            yield from _targets(sub, (), files, lazy)
        elif name in lazy.get(target, {}):
            inner = lazy[target][name]
            yield from _targets(f"{target}.{inner}" if target else inner, (), files, lazy)


def _imports(
    tree: ast.Module, module: str, *, is_package: bool
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(absolute module, imported names) of every import run at some point (not type-only)."""
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = module.split(".") if module else []
            if node.level:
                keep = len(base) - (node.level - (1 if is_package else 0))
                base = base[: max(keep, 0)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target, tuple(a.name for a in node.names)


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:` (type checkers only)."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def _lazy_map(text: str) -> dict[str, str]:
    """A lazy package's `_MODULE_OF` (public name -> submodule), empty for other modules."""
    for node in ast.parse(text).body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "_MODULE_OF":
            value = ast.literal_eval(node.value)
            return {str(k): str(v) for k, v in dict(value).items()}
    return {}


def project_sources(project: Path, package: str) -> dict[str, str]:
    """The project's own Python files (not the vendored runtime), path -> text."""
    out: dict[str, str] = {}
    skip = project / package / RUNTIME_DIR
    for path in sorted(project.rglob("*.py")):
        if skip in path.parents or any(p.startswith(".") for p in path.relative_to(project).parts):
            continue
        out[path.relative_to(project).as_posix()] = path.read_text(encoding="utf-8")
    return out


def runtime_sources(runtime_dir: Path) -> dict[str, str]:
    """Every Python file of a runtime folder, path relative to it -> text."""
    return {
        p.relative_to(runtime_dir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(runtime_dir.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def prune(project: Path, package: str) -> list[str]:
    """Delete the vendored runtime files the project cannot import; returns what went."""
    runtime_dir = project / package / RUNTIME_DIR
    runtime = runtime_sources(runtime_dir)
    keep = needed_files(runtime, project_sources(project, package), package)
    gone = sorted(set(runtime) - keep)
    for rel in gone:
        (runtime_dir / rel).unlink()
    for folder in sorted({p for p in runtime_dir.rglob("*") if p.is_dir()}, reverse=True):
        if not any(folder.rglob("*.py")):
            shutil.rmtree(folder)
    return gone
