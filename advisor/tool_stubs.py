"""Tool stubs a generated project gets (`tools.py`): the argument the model passes and the line
it reads, chosen by the verb in the tool's name."""

from __future__ import annotations

from .task_model import name_words

_TOOL_KINDS: tuple[tuple[frozenset[str], str, str], ...] = (
    (
        frozenset({"search", "find", "lookup", "look", "query"}),
        "query",
        "Look up `query` and return the best matches as short text, each with its source.",
    ),
    (
        frozenset({"fetch", "read", "get", "open", "load", "download", "browse"}),
        "target",
        "Fetch `target` (a URL, path or id) and return its content as plain text.",
    ),
    (
        frozenset({"send", "post", "email", "notify", "message", "reply"}),
        "message",
        "Send `message`; it acts outside the system, so call it only when it is final.",
    ),
    (
        frozenset({"create", "book", "update", "delete", "write", "refund", "pay", "transfer"}),
        "request",
        "Carry out `request` and return what was done (an id or a confirmation).",
    ),
)
"""Tool stubs by the verb in their name: the argument the model passes, the line it reads."""
_TOOL_DEFAULT = ("text", "Act on `text` as this tool's name says; return the result as text.")


def tool_stub(name: str) -> dict[str, str]:
    """A tool stub's argument name and docstring (written for the model), from its name."""
    words = set(name_words(name))
    arg, doc = next(((a, d) for verbs, a, d in _TOOL_KINDS if verbs & words), _TOOL_DEFAULT)
    return {"arg": arg, "doc": doc}
