"""Structured output and tools on any endpoint: which response_format to send, where the schema
goes, what an endpoint refused (remembered for the process), and the fallbacks.

- A known provider without `api_base`: `json_schema` where litellm's map says the model supports
  it, else `json_object` with the schema restated in the user's message.
- Any `api_base` (an OpenAI-compatible server of unknown make): `json_schema` first; a server
  that refuses it (HTTP 4xx/5xx naming the format) gets `json_object` carrying the schema (which
  llama.cpp enforces as a grammar), then no response_format at all. Each refusal is remembered
  per endpoint and model, so it costs one refused request per process, never a retry loop.
- Behind an `api_base`, system messages are folded into the first user message: some chat
  formats (Gemma's) silently drop them.
- A server that ignores `tools` (answers in text, no tool_calls, never having called a tool)
  gets the tools described in the prompt, and a JSON tool call is parsed out of the reply.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .completion import ToolCall
from .prices import map_entry
from .retry import status_of

SCHEMA_HINT = "Reply with only a JSON object that matches this JSON schema:\n{schema}"
TOOLS_HINT = (
    "You can call these tools (JSON schemas of their arguments):\n{tools}\n"
    'To call one, reply with only a JSON object: {{"tool": "<name>", "arguments": {{...}}}}. '
    "When you have the final answer, reply with it instead."
)
FORMATS = ("json_schema", "json_object", "none")
"""Response formats in the order an unknown endpoint is offered them."""
REFUSED_KEY = "refused"
"""The trace key marking an attempt the server refused for its response format (the value is
the format): no model work, nothing billed, so no call to count."""


@dataclass
class Traits:
    """What one endpoint + model was seen to accept, for the rest of the process."""

    refused: set[str] = field(default_factory=set)
    """Response formats the server refused."""
    called_tools: bool = False
    """The server returned a tool call at least once (so it does speak `tools`)."""
    ignores_tools: bool = False
    """The server answered in text although tools were given: describe tools in the prompt."""
    accepted: set[str] = field(default_factory=set)
    """Response formats the server answered a call in."""
    probing: dict[str, threading.Event] = field(default_factory=dict)
    """Formats a call is trying for the first time; set when it has its answer."""

    def probe(self, kind: str) -> tuple[bool, threading.Event | None]:
        """Whether the caller tries `kind` first (then it must call `probed`), or the probe of
        another call to wait for before sending it (None: known to be answered, or no format).

        Requests run at once (a batch's) would otherwise each send a format the server is about
        to refuse: one refused request per process, as documented, not one per request."""
        if kind == "none":
            return False, None
        with _lock:
            if kind in self.accepted or kind in self.refused:
                return False, None
            if kind in self.probing:
                return False, self.probing[kind]
            self.probing[kind] = threading.Event()
            return True, None

    def probed(self, kind: str, *, answered: bool) -> None:
        """The probe of `kind` is over (`answered`: the server replied in it); waiters go on."""
        with _lock:
            if answered:
                self.accepted.add(kind)
            done = self.probing.pop(kind, None)
        if done is not None:
            done.set()


_traits: dict[tuple[str, str], Traits] = {}
_lock = threading.Lock()


def traits(endpoint: str, model: str) -> Traits:
    """The remembered traits of an endpoint (base URL, or "" for the provider's own) + model."""
    with _lock:
        return _traits.setdefault((endpoint, model), Traits())


def forget_traits() -> None:
    """Forget every endpoint's traits (tests)."""
    with _lock:
        _traits.clear()


def choose_format(model: str, api_base: str | None, seen: Traits) -> str:
    """The response format to send: "json_schema", "json_object" or "none"."""
    if not api_base and not (map_entry(model) or {}).get("supports_response_schema"):
        candidates: Sequence[str] = ("json_object", "none")
    else:
        candidates = FORMATS
    return next((f for f in candidates if f not in seen.refused), "none")


def response_format(
    kind: str, schema: Mapping[str, Any], name: str, *, api_base: str | None
) -> dict[str, Any] | None:
    """The response_format body for a format kind."""
    if kind == "json_schema":
        # strict=False: strict mode rejects optional fields, which pydantic models often have.
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": dict(schema), "strict": False},
        }
    if kind == "json_object":
        # llama.cpp turns the schema into a grammar; OpenAI's own API refuses the extra key.
        return {"type": "json_object", "schema": dict(schema)} if api_base else {"type": kind}
    return None


def refused_format(exc: BaseException, kind: str) -> bool:
    """Whether a failed call is the server refusing the response format it was sent."""
    if kind == "none":
        return False
    status = status_of(exc)
    if status is None or status in (401, 403, 404, 408, 429):
        return False
    text = str(exc).lower() + " " + json.dumps(getattr(exc, "body", None), default=str).lower()
    return any(word in text for word in ("response_format", "json_schema", "json_object", "schema"))


def with_user_text(messages: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """`text` appended to the last message when it is the user's, else as a new user turn."""
    if (
        messages
        and messages[-1].get("role") == "user"
        and isinstance(messages[-1].get("content"), str)
    ):
        last = dict(messages[-1])
        last["content"] = f"{last['content']}\n\n{text}"
        return [*messages[:-1], last]
    return [*messages, {"role": "user", "content": text}]


def fold_system(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """System messages folded into the first user message (kept by every chat format)."""
    system = [str(m.get("content") or "") for m in messages if m.get("role") == "system"]
    rest = [m for m in messages if m.get("role") != "system"]
    if not system:
        return messages
    head = "\n\n".join(s for s in system if s)
    for i, msg in enumerate(rest):
        if msg.get("role") == "user" and isinstance(msg.get("content"), str):
            rest[i] = {**msg, "content": f"{head}\n\n{msg['content']}"}
            return rest
    return [{"role": "user", "content": head}, *rest]


def tools_as_text(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A tool conversation rewritten without tool roles, for a server that ignores tools."""
    out: list[dict[str, Any]] = []
    for msg in messages:
        if msg.get("role") == "assistant" and msg.get("tool_calls"):
            calls = [
                {"tool": c["function"]["name"], "arguments": _loads(c["function"]["arguments"])}
                for c in msg["tool_calls"]
            ]
            text = json.dumps(calls[0] if len(calls) == 1 else calls)
            out.append({"role": "assistant", "content": text})
        elif msg.get("role") == "tool":
            out.append({"role": "user", "content": f"Tool result:\n{msg.get('content', '')}"})
        else:
            out.append(msg)
    return out


def describe_tools(tools: Sequence[Mapping[str, Any]]) -> str:
    """The tools-in-the-prompt instruction."""
    listed = [
        {
            "name": t["function"]["name"],
            "description": t["function"].get("description", ""),
            "arguments": t["function"].get("parameters", {}),
        }
        for t in tools
    ]
    return TOOLS_HINT.format(tools=json.dumps(listed, separators=(",", ":")))


_FENCE = re.compile(r"```(?:json|tool_code)?\s*\n?(.*?)\n?```", re.DOTALL)


def parse_tool_call(text: str, names: set[str], serial: int) -> list[ToolCall]:
    """Tool calls written as JSON in a reply's text ({"tool": ..., "arguments": {...}})."""
    fenced = _FENCE.search(text)
    body = (fenced.group(1) if fenced else text).strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        return []
    try:
        data = json.loads(body[start : end + 1])
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    name = data.get("tool") or data.get("name")
    args = data.get("arguments", data.get("parameters", {}))
    if name not in names or not isinstance(args, dict):
        return []
    return [ToolCall(id=f"call_text_{serial}", name=str(name), arguments_json=json.dumps(args))]


def _loads(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return text


@dataclass(frozen=True)
class Wire:
    """What is actually sent for one call."""

    messages: list[dict[str, Any]]
    """Chat messages after folding and hints."""
    response_format: dict[str, Any] | None
    """The response_format body, if any."""
    format_kind: str
    """"json_schema", "json_object" or "none" (no schema asked: "none")."""
    tools: list[Mapping[str, Any]] | None
    """Tools sent as the `tools` parameter (None when described in the prompt instead)."""
    tools_in_prompt: bool
    """True when tools are described in the prompt and parsed from the reply text."""


def plan_wire(
    messages: Sequence[Mapping[str, Any]],
    *,
    model: str,
    api_base: str | None,
    schema: Mapping[str, Any] | None,
    schema_name: str,
    tools: Sequence[Mapping[str, Any]] | None,
    seen: Traits,
) -> Wire:
    """The messages, response_format and tools to send, given what the endpoint accepts."""
    sent = [dict(m) for m in messages]
    if api_base:
        sent = fold_system(sent)
    kind, fmt = "none", None
    if schema is not None:
        kind = choose_format(model, api_base, seen)
        fmt = response_format(kind, schema, schema_name, api_base=api_base)
        if kind != "json_schema":
            hint = SCHEMA_HINT.format(schema=json.dumps(schema, separators=(",", ":")))
            sent = with_user_text(sent, hint)
    in_prompt = bool(tools) and seen.ignores_tools
    if tools and in_prompt:
        sent = with_user_text(tools_as_text(sent), describe_tools(tools))
    return Wire(sent, fmt, kind, None if in_prompt or not tools else list(tools), in_prompt)
