"""agent_loop: the model picks tool calls in a loop, at most max_steps model turns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import CapReached, StoppedError
from ..model_calls.completion import ToolCall
from .approval import Approval, tool_key
from .base import Step, named, note
from .results import AgentResult
from .step import Prompt, render
from .tools import Tool, ToolArgumentError, toolset

if TYPE_CHECKING:
    from ..model_calls.models import CallResult, Run


def agent_loop(
    name: str,
    tools: Sequence[Callable[..., Any] | Tool],
    *,
    max_steps: int,
    prompt: Prompt = "{input}",
    system: str | None = None,
    response_model: type[BaseModel] | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    approval: Approval | None = None,
) -> Step:
    """A step where model `name` calls `tools` until it answers, at most `max_steps` turns.

    Tools are type-hinted functions (sync or async); their arguments are validated by a
    pydantic model derived from the hints. An unknown tool, bad arguments or a tool error
    goes back to the model as the tool's result, so it can correct itself. A tool `approval`
    lists runs only after a person's yes; a refusal is the tool's result the model reads.
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    table = toolset(tools)
    unknown = sorted(approval.tools - set(map(tool_key, table))) if approval else []
    if unknown:
        raise ValueError(f"approval names {unknown[0]!r}, which is not one of the agent's tools")
    schemas = [t.schema() for t in table.values()]

    async def run_agent(run: Run, value: Any) -> AgentResult:
        state = AgentResult(None, 0, None, messages=render(prompt, value, system))
        try:
            while state.steps < max_steps:
                state.steps += 1
                res: CallResult[Any] = await run.call(
                    name,
                    state.messages,
                    response_model=response_model,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    tools=schemas,
                )
                if not res.tool_calls:
                    state.output = res.output
                    return state
                state.output = res.text
                await _use_tools(run, table, res, state, approval)
        except StoppedError as exc:
            exc.best = exc.best if exc.best is not None else state
            raise
        return _capped(run, state, max_steps)

    return named(name, run_agent)


async def _use_tools(
    run: Run,
    table: Mapping[str, Tool],
    res: CallResult[Any],
    state: AgentResult,
    approval: Approval | None,
) -> None:
    calls = res.tool_calls
    parts = [c.as_message_part() for c in calls]
    state.messages.append({"role": "assistant", "content": res.text or None, "tool_calls": parts})
    for call in calls:
        state.tool_calls += 1
        reply = await _approved_call(run, table, call, approval)
        state.messages.append({"role": "tool", "tool_call_id": call.id, "content": reply})


async def _call_tool(table: Mapping[str, Tool], call: ToolCall) -> str:
    found = table.get(call.name)
    if found is None:
        note("tool-error", f"model called unknown tool {call.name!r}")
        return f"error: unknown tool {call.name!r}; available tools: {', '.join(sorted(table))}"
    try:
        return await found.invoke(call.arguments_json)
    except ToolArgumentError as exc:
        note("tool-error", str(exc))
        return f"error: {exc}; call it again with valid arguments"
    except Exception as exc:  # a tool's own failure is information for the model, not a crash
        note("tool-error", f"tool {call.name!r} raised {type(exc).__name__}: {exc}")
        return f"error: tool {call.name!r} failed: {type(exc).__name__}: {exc}"


async def _approved_call(
    run: Run, table: Mapping[str, Tool], call: ToolCall, approval: Approval | None
) -> str:
    if approval is None or not approval.needs(call.name):
        return await _call_tool(table, call)
    decision = await approval.decide(run, call.name, call.arguments_json)
    return await _call_tool(table, call) if decision.approved else decision.refusal()


def _capped(run: Run, state: AgentResult, max_steps: int) -> AgentResult:
    cap = CapReached("max_steps", max_steps, max_steps + 1)
    run.note_stop(cap)
    note("cap", f"no final answer after {max_steps} model turns", cap=cap.reason)
    state.stopped_by = cap.reason
    return state
