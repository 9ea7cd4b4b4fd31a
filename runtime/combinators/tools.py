"""Tools for agent_loop: Python functions with pydantic-validated arguments and a JSON schema."""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model


@dataclass(frozen=True)
class Tool:
    """A function the model may call, with its arguments model and OpenAI schema."""

    name: str
    """The name the model calls it by (the function's name)."""
    description: str
    """First line of the function's docstring."""
    fn: Callable[..., Any]
    """The function (sync or async)."""
    args: type[BaseModel]
    """Pydantic model of the arguments, derived from the type hints."""

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-tool schema."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.args.model_json_schema(),
            },
        }

    async def invoke(self, arguments_json: str) -> str:
        """Validate the model's arguments, call the function, return its result as text.

        Raises ToolArgumentError on arguments that do not validate.
        """
        try:
            args = self.args.model_validate_json(arguments_json or "{}")
        except ValidationError as err:
            raise ToolArgumentError(self.name, _problems(err)) from err
        result = self.fn(**{k: getattr(args, k) for k in type(args).model_fields})
        if inspect.isawaitable(result):
            result = await result
        return result_text(result)


class ToolArgumentError(ValueError):
    """The model's arguments for a tool did not validate (fed back to the model)."""

    def __init__(self, tool: str, problems: str) -> None:
        super().__init__(f"invalid arguments for tool {tool!r}: {problems}")
        self.tool = tool
        """The tool's name."""


def tool(fn: Callable[..., Any] | Tool) -> Tool:
    """A Tool from a type-hinted function; every parameter needs a type hint."""
    if isinstance(fn, Tool):
        return fn
    hints = typing.get_type_hints(fn)
    fields: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        if param.name not in hints:
            raise TypeError(f"tool {fn.__name__}: parameter {param.name!r} needs a type hint")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (hints[param.name], default)
    args = create_model(f"{fn.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields)
    doc = (inspect.getdoc(fn) or fn.__name__).strip().splitlines()[0]
    return Tool(name=fn.__name__, description=doc, fn=fn, args=args)


def toolset(tools: Sequence[Callable[..., Any] | Tool]) -> dict[str, Tool]:
    """Tools by name; names must be unique."""
    table: dict[str, Tool] = {}
    for t in map(tool, tools):
        if t.name in table:
            raise ValueError(f"two tools are named {t.name!r}")
        table[t.name] = t
    return table


def result_text(result: Any) -> str:
    """A tool's return value as the text the model reads."""
    if isinstance(result, str):
        return result
    if isinstance(result, BaseModel):
        return result.model_dump_json()
    try:
        return json.dumps(result, default=str)
    except (TypeError, ValueError):
        return str(result)


_TOOL_OPENING = re.compile(r'\s*(?:```[\w-]*\s*)?\{\s*"(tool|name|function)"\s*:')


def looks_like_tool_call(text: str) -> bool:
    """Whether a final reply is an attempt at a tool call rather than an answer: it opens with
    a JSON object keyed `tool` (the text-mode call format), or `name`/`function` with
    `arguments`. Reached only when no call parsed out of it (broken JSON, an unknown tool)."""
    opening = _TOOL_OPENING.match(text)
    if opening is None:
        return False
    return opening.group(1) == "tool" or '"arguments"' in text


def _problems(err: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}"
        for e in err.errors(include_url=False)
    )
