"""Token counting: OpenAI's o200k tokenizer from litellm's BPE file, else ~4 chars a token."""

from __future__ import annotations

import base64
import functools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .prices import _litellm_dir

# o200k_base (gpt-4o, o-series); the file is named by the sha1 of its download URL.
O200K_FILE = "litellm_core_utils/tokenizers/fb374d419588a4632f3f557e76b4b70aebbca790"
O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
# OpenAI's chat format adds a few tokens per message and for priming the reply.
PER_MESSAGE = 3
PER_REPLY = 3

_lock = threading.Lock()


def approx_count(text: str) -> int:
    """The fallback: about four characters a token."""
    return (len(text) + 3) // 4


@functools.lru_cache(maxsize=1)
def _encoder() -> Callable[[str], int] | None:
    try:
        import tiktoken
    except ImportError:
        return None
    folder = _litellm_dir()
    if folder is None or not (folder / O200K_FILE).is_file():
        return None
    # Parsed here rather than by tiktoken.load.load_tiktoken_bpe, which would copy the
    # file into a temp-dir cache: same format, no disk side effect, never a download.
    raw = (folder / O200K_FILE).read_bytes()
    ranks = {
        base64.b64decode(tok): int(rank)
        for tok, rank in (line.split() for line in raw.splitlines() if line)
    }
    enc = tiktoken.Encoding(
        "o200k_base", pat_str=O200K_PAT, mergeable_ranks=ranks, special_tokens={}
    )
    return lambda text: len(enc.encode_ordinary(text))


def count_text(text: str) -> int:
    """Tokens in a piece of text."""
    with _lock:  # load the tokenizer once, even when many threads ask at the same time
        encode = _encoder()
    return approx_count(text) if encode is None else encode(text)


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
