"""Real model calls through litellm (imported here, lazily, only when a real call is made), for
the providers only litellm speaks; OpenAI-compatible endpoints go through openai_backend."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import Any

from .completion import CallRequest, RawCompletion
from .openai_backend import parse_completion


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
        "response_format": None if req.response_format is None else dict(req.response_format),
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
    return parse_completion(resp)
