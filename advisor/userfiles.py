"""Reading a YAML or JSON file a user hands us, whatever it holds, in bounded time and memory.

`-` names standard input (`--answers -`): the same limits apply to what is piped in.

Every way such a file can be hostile becomes one `UserError` line naming the file and the
fix: missing, a directory, a FIFO, unreadable, larger than `MAX_BYTES`, not UTF-8, not valid
YAML/JSON, nested deeper than `MAX_DEPTH`, aliases that expand past `MAX_NODES` values (a
"billion laughs" bomb is refused before it is built), or the same key twice in a mapping.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import UserError

MAX_BYTES = 1024 * 1024
"""The most a file may hold; answers and copier records are a few hundred bytes."""
MAX_DEPTH = 64
"""The deepest nesting of lists and mappings accepted (answers need three levels)."""
MAX_NODES = 100_000
"""The most values a document may hold once its aliases are expanded (a project's copier
record holds a few thousand; `ANSWERS_NODES` is the tighter bound for answers files)."""
ANSWERS_NODES = 10_000
"""The most values an answers file may hold (50-entry lists and models stay far below)."""
STDIN = "-"
"""The path that means standard input, as Unix tools read it (`--answers -`)."""
_SHOWN = 40
_MAX_DIGITS = 30


def brief(value: object, limit: int = _SHOWN) -> str:
    """A short `repr` of a value, computed without building a huge string first."""
    if isinstance(value, (list, tuple, dict, set)):
        items = list(value.values()) if isinstance(value, dict) else list(value)[:4]
        if len(value) > 3 or any(isinstance(v, (list, tuple, dict, set)) for v in items):
            return f"a {type(value).__name__} of {len(value)} entries"
    elif isinstance(value, str):
        value = value[: limit + 1]
    elif isinstance(value, int) and value.bit_length() > 128:
        return "a number too large to show"
    return clip(repr(value), limit)


def read_text(path: Path, *, what: str, fix: str) -> str:
    """The UTF-8 text of a regular file of at most `MAX_BYTES` (FIFOs are never waited on).

    `what` names the file for the user (e.g. "answers file"); `fix` says what to pass instead.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UserError(f"{what} not found: {path}; {fix}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a file; {fix}") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {_reason(exc)}; {fix}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{path} is a folder, not a file; {fix}")
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{path} is not a regular file (a pipe or device?); {fix}")
        if info.st_size > MAX_BYTES:
            raise UserError(f"{path} is {_size(info.st_size)}, over the {_size()} limit; {fix}")
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {_reason(exc)}; {fix}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > MAX_BYTES:  # grew since fstat
        raise UserError(f"{path} is over the {_size()} limit; {fix}")
    try:
        return data.decode("utf-8-sig")  # a BOM (Windows editors) is not content
    except UnicodeDecodeError as err:
        raise UserError(
            f"{path} is not UTF-8 text (byte 0x{err.object[err.start]:02x}); "
            f"save the {what} as UTF-8 text"
        ) from None


def parse(text: str, *, source: str, as_json: bool, max_nodes: int = MAX_NODES) -> Any:
    """The document in `text`: JSON when `as_json`, else YAML (safe types only)."""
    if as_json:
        return _parse_json(text, source, max_nodes)
    return parse_yaml(text, source=source, max_nodes=max_nodes)


def parse_yaml(
    text: str, *, source: str, fix: str = "fix the syntax", max_nodes: int = MAX_NODES
) -> Any:
    """One YAML document, built only after its depth, expanded size and keys were checked."""
    try:
        loader = _BoundedLoader(text, max_nodes)  # checks for unprintable characters first
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except _Refused as err:
        raise UserError(f"{source}: {err}") from None
    except yaml.YAMLError as err:
        raise UserError(f"{source}: not valid YAML ({_where(err)}); {fix}") from None


def is_stdin(path: Path | str) -> bool:
    """Whether a path given on the command line means standard input."""
    return str(path) == STDIN


def shown(path: Path | str) -> str:
    """A path as messages name it: `stdin` for `-`."""
    return "stdin" if is_stdin(path) else str(path)


def read_stdin(*, what: str, fix: str) -> str:
    """The UTF-8 text piped into stdin, at most `MAX_BYTES`; a terminal or nothing is refused.

    `what` names the content for the user (e.g. "answers"); `fix` says what to do instead.
    """
    stream = sys.stdin
    try:
        if stream is None or stream.isatty():
            raise UserError(f"`-` reads the {what} from stdin, but nothing is piped in; {fix}")
        raw = getattr(stream, "buffer", None)  # a StringIO stand-in (tests) has none
        data = raw.read(MAX_BYTES + 1) if raw is not None else stream.read(MAX_BYTES + 1).encode()
    except (OSError, ValueError) as exc:  # closed, or pytest's capture refusing reads
        raise UserError(f"cannot read the {what} from stdin ({exc}); {fix}") from None
    if len(data) > MAX_BYTES:
        raise UserError(f"stdin holds more than the {_size()} limit for {what}; {fix}")
    if not data.strip():
        raise UserError(f"stdin is empty: no {what} were piped in; {fix}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UserError(
            f"stdin is not UTF-8 text (byte 0x{err.object[err.start]:02x}); "
            f"pipe the {what} as UTF-8 text"
        ) from None


def read_document(
    path: Path, *, what: str, fix: str, stdin_fix: str, max_nodes: int = MAX_NODES
) -> Any:
    """The document in a YAML or JSON file (JSON by its `.json` suffix), or on stdin for `-`.

    `what` names the content ("answers"); `fix` and `stdin_fix` say what to pass instead.
    """
    source = shown(path)
    if is_stdin(path):
        text = read_stdin(what=what, fix=stdin_fix)
        return parse_either(text, source=source, max_nodes=max_nodes)
    text = read_text(path, what=f"{what} file", fix=fix)
    return parse(text, source=source, as_json=path.suffix.lower() == ".json", max_nodes=max_nodes)


def parse_either(text: str, *, source: str, max_nodes: int = MAX_NODES) -> Any:
    """JSON or YAML, told apart by the text (stdin has no file suffix to go by).

    A document starting with `{` is read as JSON; if it is not valid JSON it may still be a
    YAML flow mapping (`{name: x}`), and if it is neither the JSON error is the one shown.
    """
    if not text.lstrip().startswith("{"):
        return parse_yaml(text, source=source, max_nodes=max_nodes)
    try:
        return _json_document(text, source, max_nodes)
    except json.JSONDecodeError as err:
        try:
            return parse_yaml(text, source=source, max_nodes=max_nodes)
        except UserError:
            raise UserError(_not_json(source, err)) from None


def _parse_json(text: str, source: str, max_nodes: int) -> Any:
    try:
        return _json_document(text, source, max_nodes)
    except json.JSONDecodeError as err:
        raise UserError(_not_json(source, err)) from None


def _not_json(source: str, err: json.JSONDecodeError) -> str:
    return f"{source}: not valid JSON (line {err.lineno}: {err.msg}); fix the syntax"


def _json_document(text: str, source: str, max_nodes: int) -> Any:
    """The JSON document, checked for depth and size; a syntax error is left to the caller."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_pairs, parse_int=_bounded_int)
    except _Refused as err:
        raise UserError(f"{source}: {err}") from None
    except RecursionError:
        raise UserError(f"{source}: {_too_deep()}") from None
    depth, count = _shape(data)
    if depth > MAX_DEPTH:
        raise UserError(f"{source}: {_too_deep()}")
    if count > max_nodes:
        raise UserError(f"{source}: {_too_many(max_nodes)}")
    return data


class _Refused(Exception):
    """A document refused before it is built; the message is one line for the user."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting while composing, then bombs and duplicate keys."""

    def __init__(self, stream: str, max_nodes: int) -> None:
        super().__init__(stream)
        self.max_nodes = max_nodes
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._depth += 1
        try:
            self._nodes += 1
            if self._depth > MAX_DEPTH or self._nodes > self.max_nodes:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                why = _too_deep() if self._depth > MAX_DEPTH else _too_many(self.max_nodes)
                raise _Refused(f"line {line}: {why}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: ScalarNode) -> int:
        if len(node.value) > _MAX_DIGITS:
            raise _Refused(f"line {node.start_mark.line + 1}: {_too_long_number()}")
        return super().construct_yaml_int(node)

    def get_single_node(self) -> Node | None:
        node: Node | None = super().get_single_node()
        if node is not None:
            _check_expansion(node, self.max_nodes)
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[object, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise _Refused(
                    f"line {line}: duplicate key `{clip(str(key), _SHOWN)}` (first on line "
                    f"{first_line[key]}); keep one of them"
                )
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)


def _check_expansion(root: Node, limit: int) -> None:
    """Refuse a document whose aliases expand it past `limit` values or into a cycle."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in visiting:
            line = node.start_mark.line + 1
            raise _Refused(f"line {line}: an alias refers to the value that contains it")
        visiting.add(id(node))
        total = 1
        if isinstance(node, SequenceNode):
            children: list[Node] = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                raise _Refused(
                    f"it holds more than {limit:,} values once its aliases (*name) are "
                    "expanded; write out the few values it needs instead"
                )
        visiting.discard(id(node))
        sizes[id(node)] = total
        return total

    size(root)


def _bounded_int(text: str) -> int:
    if len(text) > _MAX_DIGITS:
        raise _Refused(_too_long_number())
    return int(text)


def _too_long_number() -> str:
    return f"a number has more than {_MAX_DIGITS} digits; write a plausible figure"


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _Refused(f"duplicate key `{clip(key, _SHOWN)}`; keep one of them")
        data[key] = value
    return data


def _shape(data: Any) -> tuple[int, int]:
    """Nesting depth of lists and dicts and the number of values, without recursion (stops
    counting once past `MAX_DEPTH` or `MAX_NODES`)."""
    deepest, count, stack = 0, 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        count += 1
        if isinstance(value, (list, dict)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH or count > MAX_NODES:
                break
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, level + 1) for item in items)
    return deepest, count


def _where(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None)
    if problem is None and isinstance(err, yaml.reader.ReaderError):
        return f"character #x{err.character:04x} at offset {err.position} is not allowed in text"
    problem = clip(str(problem or "syntax error"), 80)
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def _too_many(limit: int) -> str:
    return f"it holds more than {limit:,} values; an answers file needs a few dozen"


def _too_deep() -> str:
    return f"nested more than {MAX_DEPTH} levels deep; an answers file needs three at most"


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _size(n: int = MAX_BYTES) -> str:
    return f"{n / (1024 * 1024):.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def clip(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
