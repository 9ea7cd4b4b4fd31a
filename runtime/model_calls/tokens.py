"""Token counting: OpenAI's o200k tokenizer from litellm's BPE file, else ~4 chars a token."""

from __future__ import annotations

import functools
import importlib.util
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .bpe import O200K_FILE, O200K_PAT, O200k, load_ranks
from .prices import _litellm_dir

# OpenAI's chat format adds a few tokens per message and for priming the reply.
PER_MESSAGE = 3
PER_REPLY = 3

_lock = threading.Lock()


def approx_count(text: str) -> int:
    """The fallback: about four characters a token."""
    return (len(text) + 3) // 4


@functools.lru_cache(maxsize=1)
def _tokenizer() -> O200k | None:
    folder = _litellm_dir()
    if importlib.util.find_spec("tiktoken") is None:
        return None
    if folder is None or not (folder / O200K_FILE).is_file():
        return None
    # Read here rather than by tiktoken.load.load_tiktoken_bpe, which would copy the file
    # into a temp-dir cache and may download: same format, never a network request.
    ranks = load_ranks(folder / O200K_FILE)

    def build() -> Callable[[str], int]:
        import tiktoken

        enc = tiktoken.Encoding(
            "o200k_base", pat_str=O200K_PAT, mergeable_ranks=ranks, special_tokens={}
        )
        return lambda text: len(enc.encode_ordinary(text))

    return O200k(ranks, build)


def count_text(text: str) -> int:
    """Tokens in a piece of text."""
    with _lock:  # load the tokenizer once, even when many threads ask at the same time
        tokenizer = _tokenizer()
    return approx_count(text) if tokenizer is None else tokenizer.count(text)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = [p.get("text", "") for p in content if isinstance(p, Mapping)]
        return "\n".join(str(p) for p in parts)
    return "" if content is None else str(content)


def count_messages(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None
) -> int:
    """Prompt tokens for a chat request (messages, tool calls in them, tool schemas)."""
    total = PER_REPLY
    for msg in messages:
        total += PER_MESSAGE + count_text(_content_text(msg.get("content")))
        if msg.get("name"):
            total += 1 + count_text(str(msg["name"]))
        if msg.get("tool_calls"):
            total += count_text(json.dumps(msg["tool_calls"], default=str))
    if tools:
        total += count_text(json.dumps(list(tools), default=str))
    return total
