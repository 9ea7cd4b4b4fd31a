"""Real model calls through litellm (imported here, lazily, only when a real call is made)."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping
from typing import Any

from .completion import CallRequest, RawCompletion, ToolCall, Usage
from .prices import map_entry


def response_format(req: CallRequest) -> dict[str, Any] | None:
    """json_schema where the model supports it, else plain JSON mode."""
    if req.response_schema is None:
        return None
    entry = map_entry(req.model) or {}
    if entry.get("supports_response_schema"):
        # strict=False: strict mode rejects optional fields, which pydantic models often have.
        name = req.response_model.__name__ if req.response_model else "output"
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": dict(req.response_schema), "strict": False},
        }
    return {"type": "json_object"}


def request_kwargs(
    req: CallRequest, *, api_base: str | None, api_key: str | None
) -> dict[str, Any]:
    """The keyword arguments for litellm.acompletion."""
    kwargs: dict[str, Any] = {
        "model": req.model,
        "messages": list(req.messages),
        "max_tokens": req.max_tokens,
        "timeout": req.timeout_s,
        # Our retry loop is the only one: litellm's and the OpenAI SDK's are switched off.
        "num_retries": 0,
        "max_retries": 0,
        # Providers without response_format or tools support get the call without them.
        "drop_params": True,
    }
    optional = {
        "temperature": req.temperature,
        "tools": list(req.tools) if req.tools else None,
        "response_format": response_format(req),
        "api_base": api_base,
        "api_key": api_key,
    }
    kwargs.update({k: v for k, v in optional.items() if v is not None})
    if req.tools and importlib.util.find_spec("mcp") is None:
        # litellm 1.10x imports its MCP gateway (needing the optional `mcp` package) for any
        # call with tools; ours are plain function tools, so skip that gateway.
        kwargs["_skip_mcp_handler"] = True
    return kwargs


async def litellm_complete(
    req: CallRequest,
    *,
    api_base: str | None = None,
    api_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> RawCompletion:
    """One attempt through litellm.acompletion."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True  # our error names the step; litellm's banner adds noise
    kwargs = request_kwargs(req, api_base=api_base, api_key=api_key)
    kwargs.update(extra or {})
    resp = await litellm.acompletion(**kwargs)
    return parse_response(resp)


def parse_response(resp: Any) -> RawCompletion:
    """Text, tool calls and usage out of a litellm ModelResponse."""
    message = resp.choices[0].message
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


def with_schema_hint(
    messages: list[Mapping[str, Any]], model: str, schema: Mapping[str, Any] | None
) -> list[Mapping[str, Any]]:
    """Messages plus a JSON instruction when the model only has JSON mode (which requires one)."""
    if schema is None or (map_entry(model) or {}).get("supports_response_schema"):
        return messages
    hint = "Reply with only a JSON object that matches this JSON schema:\n" + json.dumps(
        schema, separators=(",", ":")
    )
    return [*messages, {"role": "system", "content": hint}]
