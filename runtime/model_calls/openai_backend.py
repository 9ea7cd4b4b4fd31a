"""Real model calls to OpenAI and OpenAI-compatible servers through the openai SDK directly.

litellm stays for the providers only it speaks; for `openai/...` models and any OpenAI-compatible
`api_base`, one AsyncOpenAI client per (event loop, base URL, key) is reused (its connection
pool with it), and its own retries are off: the runtime's retry policy is the only one.
"""

from __future__ import annotations

import asyncio
import json
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
    """One attempt: a POST to /chat/completions through the client (from `client_for`, got
    before the attempt's deadline starts: the first one imports the SDK).

    The SDK's own request path, its errors, timeout and connection pool, without its typed
    layer: `chat.completions.create` walks the plain-JSON body against its TypedDicts and builds
    a pydantic ChatCompletion per reply (benchmarks/bench_peers.py: a call's client CPU was
    1.05-1.14x the bare SDK's, now 0.87-0.92x). The reply's JSON is read here as
    parse_completion reads the SDK's object.
    """
    import httpx  # the openai SDK's own HTTP client, loaded with it

    body = request_body(req)
    timeout = body.pop("timeout")
    resp = await client.post(
        "/chat/completions", body=body, cast_to=httpx.Response, options={"timeout": timeout}
    )
    try:
        data = json.loads(resp.content)
    except ValueError:
        raise NoChoicesError() from None
    return parse_completion_json(data)


def parse_completion_json(data: Any) -> RawCompletion:
    """Text, tool calls and usage out of a chat completion's JSON (what parse_completion reads
    from the SDK's objects)."""
    choices = data.get("choices") if isinstance(data, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict):
        raise NoChoicesError()
    calls = [
        ToolCall(
            id=str(c.get("id")),
            name=str(_mapping(c.get("function")).get("name")),
            arguments_json=_mapping(c.get("function")).get("arguments") or "{}",
        )
        for c in map(_mapping, message.get("tool_calls") or [])
    ]
    usage = _mapping(data.get("usage"))
    details = _mapping(usage.get("completion_tokens_details"))
    return RawCompletion(
        text=message.get("content") or "",
        usage=Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            reasoning_tokens=int(details.get("reasoning_tokens") or 0),
        ),
        tool_calls=calls,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


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
