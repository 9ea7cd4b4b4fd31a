"""The data a model backend (real or simulated) receives and returns for one attempt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asked for (OpenAI function-call shape)."""

    id: str
    """Call id; the tool's reply message quotes it as `tool_call_id`."""
    name: str
    """Tool (function) name."""
    arguments_json: str
    """Arguments as the JSON text the model produced (validate before use)."""

    def as_message_part(self) -> dict[str, Any]:
        """The entry for an assistant message's `tool_calls` list."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_json},
        }


@dataclass(frozen=True)
class Usage:
    """Tokens one call used."""

    prompt_tokens: int = 0
    """Input tokens."""
    completion_tokens: int = 0
    """Output tokens (reasoning included)."""
    reasoning_tokens: int = 0
    """Of completion_tokens, those spent reasoning (priced apart where the provider does)."""

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class CallRequest:
    """One attempt's request, as a backend sees it."""

    step: str
    """Step path, e.g. `route>technical>diagnose`."""
    model: str
    """litellm model string."""
    messages: Sequence[Mapping[str, Any]]
    """Chat messages (OpenAI shape, tool and assistant messages included)."""
    max_tokens: int
    """Completion-token cap."""
    temperature: float | None = None
    """Sampling temperature; None leaves the provider default."""
    timeout_s: float = 60.0
    """Per-attempt timeout."""
    tools: Sequence[Mapping[str, Any]] | None = None
    """OpenAI function-tool schemas."""
    response_schema: Mapping[str, Any] | None = None
    """JSON schema the reply must match, when a response model was asked for."""
    response_model: type[BaseModel] | None = None
    """The response model itself (the simulated model checks its fake outputs with it)."""
    response_format: Mapping[str, Any] | None = None
    """The response_format body to send (chosen for the endpoint), if any."""


@dataclass(frozen=True)
class RawCompletion:
    """What a backend returns for one successful attempt."""

    text: str
    """Reply text (JSON text when a schema was asked for); empty with tool calls."""
    usage: Usage
    """Tokens used."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    """Tool calls requested, in order."""
