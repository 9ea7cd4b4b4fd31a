"""Prompt tokens to reserve for a call: a count that no provider's tokenizer can exceed.

Where the tokenizer is known (OpenAI's own models on OpenAI's API: o200k), the prompt is counted
with it, plus PROMPT_MARGIN for the chat format's hidden framing of tools and schemas. Anywhere
else (another provider, or any model behind an `api_base`) the bound is the UTF-8 byte length of
what is sent plus a per-message allowance: a byte-level BPE (GPT-2 style) or a SentencePiece
tokenizer with byte fallback never makes more tokens of a text than it has bytes, and a chat
template only adds a few special tokens per message (and a default system prompt, at most).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .budget import with_margin
from .tokens import count_messages, count_text

BYTE_PER_MESSAGE = 16
"""Chat-template tokens one message may add (role header, start/end-of-turn markers)."""
BYTE_PER_REQUEST = 64
"""Tokens a chat template may add once (BOS, generation prompt, a default system prompt)."""
BYTE_TOOLS_EXTRA = 256
"""Tokens a template may add around tool definitions (instructions some templates inject)."""

# OpenAI models that the o200k tokenizer counts exactly (gpt-4o, gpt-4.1, gpt-5, o-series).
_O200K_MODEL = re.compile(r"^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o)", re.I)


def openai_base_from_env() -> str | None:
    """The OpenAI-compatible base URL the environment points openai/ models at, if any."""
    return os.environ.get("OPENAI_API_BASE") or os.environ.get("OPENAI_BASE_URL") or None


def base_url(api_base: str | None) -> str | None:
    """The base URL a call goes to: the given one, else the environment's, else OpenAI's."""
    return api_base or openai_base_from_env()


def tokenizer_known(model: str, api_base: str | None) -> bool:
    """True when the prompt can be counted exactly: an OpenAI o200k model on OpenAI's API."""
    if api_base or openai_base_from_env():
        return False  # any server may answer behind a base URL, whatever the model is called
    provider, _, name = model.rpartition("/")
    if provider not in ("", "openai"):
        return False
    return _O200K_MODEL.match(name) is not None


def utf8_len(text: str) -> int:
    """Bytes of a text in UTF-8."""
    return len(text.encode("utf-8", "surrogatepass"))


def _content_bytes(content: Any) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return utf8_len(content)
    return utf8_len(json.dumps(content, default=str, ensure_ascii=False))


def byte_bound(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None = None,
    response_format: Mapping[str, Any] | None = None,
) -> int:
    """Prompt tokens no byte-level tokenizer can exceed for this request."""
    total = BYTE_PER_REQUEST
    for msg in messages:
        total += BYTE_PER_MESSAGE + utf8_len(str(msg.get("role", "")))
        total += _content_bytes(msg.get("content"))
        for key in ("name", "tool_call_id"):
            if msg.get(key):
                total += utf8_len(str(msg[key]))
        if msg.get("tool_calls"):
            total += _content_bytes(msg["tool_calls"])
    if tools:
        total += BYTE_TOOLS_EXTRA + _content_bytes(list(tools))
    if response_format:
        total += _content_bytes(dict(response_format))
    return total


def prompt_reservation(
    model: str,
    api_base: str | None,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    response_format: Mapping[str, Any] | None,
) -> int:
    """Prompt tokens to reserve: exact count plus margin where known, else the byte bound."""
    if not tokenizer_known(model, api_base):
        return byte_bound(messages, tools, response_format)
    counted = count_messages(messages, tools)
    if response_format and response_format.get("type") == "json_schema":
        # A schema sent as response_format is billed as prompt, though not in the messages.
        counted += count_text(json.dumps(dict(response_format), separators=(",", ":")))
    return with_margin(counted)
