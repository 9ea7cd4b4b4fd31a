"""Token counting: OpenAI's o200k tokenizer from litellm's BPE file, else ~4 chars a token."""

from __future__ import annotations

import binascii
import contextlib
import functools
import hashlib
import json
import os
import pickle
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
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


CACHE_ENV = "WFADVISE_CACHE_DIR"
"""Environment variable naming the folder for the tokenizer's binary cache (else the user cache)."""


def cache_dir() -> Path:
    """Where the parsed tokenizer is kept: $WFADVISE_CACHE_DIR, else ~/.cache/wfadvise."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "wfadvise"


def parse_ranks(raw: bytes) -> dict[bytes, int]:
    """A tiktoken BPE file (`base64-token rank` per line) as {token bytes: rank}."""
    # One split and two C-level maps instead of a Python loop per line: half the time.
    words = raw.split()
    return dict(zip(map(binascii.a2b_base64, words[::2]), map(int, words[1::2]), strict=True))


class _PlainUnpickler(pickle.Unpickler):
    """Loads only plain data (a dict of bytes and ints): a cache file can never run code."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in the tokenizer cache")


def load_ranks(source: Path, cache: Path | None = None) -> dict[bytes, int]:
    """The ranks of a BPE file, from a binary cache keyed on the file's content when there is one.

    Parsing 200k base64 lines costs about ten times unpickling the result, so the parsed form is
    cached; any problem with the cache (missing, stale, unwritable, corrupt) falls back to parsing.
    """
    raw = source.read_bytes()
    key = hashlib.sha256(raw).hexdigest()[:20]
    try:
        cached = (cache or cache_dir()) / f"bpe-{source.name[:12]}-{key}.pickle"
    except RuntimeError:  # no home directory to cache in
        return parse_ranks(raw)
    try:
        with cached.open("rb") as f:
            ranks = _PlainUnpickler(f).load()
        if isinstance(ranks, dict):
            return ranks
    except Exception:  # a truncated or foreign file can fail in any way: parse instead
        pass
    ranks = parse_ranks(raw)
    _store(cached, ranks)
    return ranks


def _store(path: Path, ranks: dict[bytes, int]) -> None:
    """Write the cache atomically (a rename), so a concurrent reader never sees half a file."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp.write_bytes(pickle.dumps(ranks, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)
    except OSError:  # a read-only home only costs the next run a parse
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


@functools.lru_cache(maxsize=1)
def _encoder() -> Callable[[str], int] | None:
    try:
        import tiktoken
    except ImportError:
        return None
    folder = _litellm_dir()
    if folder is None or not (folder / O200K_FILE).is_file():
        return None
    # Read here rather than by tiktoken.load.load_tiktoken_bpe, which would copy the file
    # into a temp-dir cache and may download: same format, never a network request.
    ranks = load_ranks(folder / O200K_FILE)
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
