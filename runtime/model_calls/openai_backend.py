"""Real model calls to OpenAI and OpenAI-compatible servers through the openai SDK directly.

litellm stays for the providers only it speaks; for `openai/...` models and any OpenAI-compatible
`api_base`, one AsyncOpenAI client per (event loop, base URL, key) is reused (its connection
pool with it), and its own retries are off: the runtime's retry policy is the only one.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import TYPE_CHECKING, Any

from .bounds import base_url
from .completion import CallRequest, RawCompletion, ToolCall, Usage
from .errors import NoChoicesError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

# Model prefixes litellm routes to an OpenAI-compatible endpoint; with an api_base they are
# all plain OpenAI chat-completions servers.
OPENAI_COMPATIBLE = frozenset({"", "openai", "hosted_vllm", "openai_like", "custom_openai"})
NO_KEY = "no-key"
"""Key sent to a local server when none is set (the SDK refuses to build a client without one)."""

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str | None, str], Any]]
_clients = weakref.WeakKeyDictionary()


def speaks_openai(model: str, api_base: str | None) -> bool:
    """Whether the call goes to the openai SDK (else litellm)."""
    provider = model.split("/", 1)[0] if "/" in model else ""
    if provider == "openai":
        return True
    return bool(api_base) and provider in OPENAI_COMPATIBLE


def wire_model(model: str) -> str:
    """The model name the server sees: litellm's provider prefix removed."""
    provider, _, name = model.partition("/")
    return name if name and provider in OPENAI_COMPATIBLE else model


def client_for(api_base: str | None, api_key: str | None) -> AsyncOpenAI:
    """The shared client for this event loop, base URL and key."""
    url = base_url(api_base)
    key = api_key or os.environ.get("OPENAI_API_KEY") or (NO_KEY if url else "")
    loop = asyncio.get_running_loop()
    per_loop = _clients.setdefault(loop, {})
    found = per_loop.get((url, key))
    if found is None:
        from openai import AsyncOpenAI  # imported on the first real call only

        found = AsyncOpenAI(api_key=key or None, base_url=url, max_retries=0)
        _ = found.chat.completions  # its resources load lazily: now, not inside a deadline
        per_loop[(url, key)] = found
    return found


async def close_clients() -> None:
    """Close this event loop's clients (their connections); call before the loop ends."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    for client in _clients.pop(loop, {}).values():
        await client.close()


def request_body(req: CallRequest) -> dict[str, Any]:
    """Keyword arguments for chat.completions.create."""
    body: dict[str, Any] = {
        "model": wire_model(req.model),
        "messages": list(req.messages),
        "max_tokens": req.max_tokens,
        "timeout": req.timeout_s,
    }
    if req.temperature is not None:
        body["temperature"] = req.temperature
    if req.tools:
        body["tools"] = list(req.tools)
    if req.response_format is not None:
        body["response_format"] = dict(req.response_format)
    return body


async def openai_complete(req: CallRequest, client: AsyncOpenAI) -> RawCompletion:
    """One attempt through AsyncOpenAI.chat.completions.create (client from `client_for`, got
    before the attempt's deadline starts: the first one imports the SDK)."""
    resp = await client.chat.completions.create(**request_body(req))
    return parse_completion(resp)


def parse_completion(resp: Any) -> RawCompletion:
    """Text, tool calls and usage out of a chat completion (openai's or litellm's objects)."""
    choices = getattr(resp, "choices", None) or []
    if not choices or getattr(choices[0], "message", None) is None:
        raise NoChoicesError()
    message = choices[0].message
    calls = [
        ToolCall(
            id=str(c.id), name=str(c.function.name), arguments_json=c.function.arguments or "{}"
        )
        for c in (getattr(message, "tool_calls", None) or [])
    ]
    usage = getattr(resp, "usage", None)
    details = getattr(usage, "completion_tokens_details", None)
    return RawCompletion(
        text=message.content or "",
        usage=Usage(
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            reasoning_tokens=int(getattr(details, "reasoning_tokens", 0) or 0),
        ),
        tool_calls=calls,
    )
