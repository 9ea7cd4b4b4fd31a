"""OpenAI's o200k byte-pair encoding, loaded fast: ranks from a binary cache, counts in Python.

Building tiktoken's encoder takes about half a second (its Rust constructor copies 200k
tokens out of Python objects, holding the GIL), which every fresh process paid on its first
count. Most prompts are short, so they are counted here with the same merge rule over the
same ranks until enough text has gone by that building tiktoken's encoder pays off.

The pre-tokenizing pattern is matched by the `regex` module here and by Rust's regex crate in
tiktoken; their Unicode tables come from different Unicode versions, so the two only agree on
characters classified alike in every version. Text with any other character goes to tiktoken.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import os
import pickle
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE_ENV = "WFADVISE_CACHE_DIR"
"""Environment variable naming the folder for the parsed ranks (else the user's cache folder)."""
PYTHON_BUDGET_CHARS = 100_000
"""Characters counted in Python before tiktoken's encoder is built (about 0.1 s of merging)."""

# Latin-1, IPA, spacing modifiers, combining diacritics and general punctuation: all assigned
# by Unicode 4.0 and never reclassified, so both regex engines split them alike.
_UNSTABLE_CHAR = re.compile("[^\x00-\u036f\u2000-\u2064]")

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


def cache_dir() -> Path:
    """Where the parsed ranks are kept: $WFADVISE_CACHE_DIR, else ~/.cache/wfadvise."""
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

    Unpickling is several times faster than parsing 200k base64 lines; any problem with the
    cache (missing, stale, unwritable, corrupt) falls back to parsing.
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


def merge_count(piece: bytes, ranks: dict[bytes, int]) -> int:
    """Tokens of one pre-tokenized piece: merge the lowest-ranked adjacent pair, leftmost
    first, until no pair is a token (tiktoken's rule)."""
    if piece in ranks:
        return 1
    parts = [piece[i : i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        best, best_rank = -1, len(ranks)
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < best_rank:
                best, best_rank = i, rank
        if best < 0:
            break
        parts[best : best + 2] = [parts[best] + parts[best + 1]]
    return len(parts)


class O200k:
    """Counts o200k tokens: in Python while that is cheaper, then with tiktoken's encoder."""

    def __init__(self, ranks: dict[bytes, int], build: Callable[[], Callable[[str], int]]) -> None:
        self._ranks = ranks
        self._build = build
        self._fast: Callable[[str], int] | None = None
        self._python_chars = 0
        self._lock = threading.Lock()
        self._pieces: Callable[[str], list[str]] | None = None
        with contextlib.suppress(ImportError):  # tiktoken requires regex; be safe anyway
            import regex  # type: ignore[import-untyped]

            self._pieces = regex.compile(O200K_PAT).findall

    def count(self, text: str) -> int:
        """Tokens in `text`, exactly as tiktoken's encode_ordinary makes them."""
        if self._fast is None and self._in_python(text):
            assert self._pieces is not None
            ranks = self._ranks
            return sum(merge_count(p.encode("utf-8"), ranks) for p in self._pieces(text))
        return self._encoder()(text)

    def _in_python(self, text: str) -> bool:
        if self._pieces is None or _UNSTABLE_CHAR.search(text):
            return False
        with self._lock:
            if self._python_chars + len(text) > PYTHON_BUDGET_CHARS:
                return False
            self._python_chars += len(text)
            return True

    def _encoder(self) -> Callable[[str], int]:
        with self._lock:  # built once, even when many threads ask at the same time
            if self._fast is None:
                self._fast = self._build()
            return self._fast
