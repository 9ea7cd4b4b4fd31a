"""Secrets out of every text the runtime writes: by value (keys in the environment or given) and
by shape (sk-..., Bearer ..., AIza...)."""

from __future__ import annotations

import os
import re
import threading
from typing import Any

# Names of environment variables that hold credentials: OPENAI_API_KEY, GROQ_API_KEY,
# AZURE_API_KEY, TOGETHERAI_API_KEY, HF_TOKEN, AWS_SECRET_ACCESS_KEY, ...
_SECRET_NAME = re.compile(r"(_API_KEY|_KEY|_TOKEN|_SECRET|_SECRET_ACCESS_KEY|_PASSWORD)$", re.I)
MIN_SECRET_LEN = 8
"""Shorter values are not treated as secrets (they would redact ordinary words)."""

# API keys and bearer tokens as providers print them (sk-..., sk-ant-..., Bearer ..., AIza...).
_SHAPE = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|(?i:bearer)\s+[A-Za-z0-9._\-]{8,}|"
    r"(?i:api[_-]?key)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9._\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|"
    r"gsk_[A-Za-z0-9]{20,}|xai-[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{20,})"
)
REDACTED = "[redacted]"

_given: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Treat `value` (an api_key given in settings or code) as a secret from now on."""
    if value and len(value) >= MIN_SECRET_LEN:
        with _lock:
            _given.add(value)


_cache: tuple[Any, list[str]] = (None, [])


def _environment_key() -> Any:
    """A cheap fingerprint of the environment (hashes of bytes values are cached by Python)."""
    data = getattr(os.environ, "_data", None)
    if not isinstance(data, dict):
        return object()  # unknown layout: never equal, so always recomputed
    return len(data), sum(map(hash, data.keys())), sum(map(hash, data.values()))


def _values() -> list[str]:
    """Every secret value known now, longest first (a key containing another goes first)."""
    global _cache
    key = (_environment_key(), len(_given))
    if _cache[0] == key:
        return _cache[1]
    found = {
        value.strip()
        for name, value in os.environ.items()
        if _SECRET_NAME.search(name) and len(value.strip()) >= MIN_SECRET_LEN
    }
    with _lock:
        found |= _given
    values = sorted(found, key=len, reverse=True)
    _cache = (key, values)
    return values


def scrub(text: str) -> str:
    """`text` with every known secret value, and anything shaped like a key, redacted."""
    for value in _values():
        if value in text:
            text = text.replace(value, REDACTED)
    return _SHAPE.sub(REDACTED, text)
