"""agent_loop: the model picks tool calls in a loop, at most max_steps model turns."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import CapReached, StoppedError
from ..model_calls.completion import ToolCall
from ..model_calls.structured import parse_tool_call
from .approval import BY_NO_TERMINAL, Approval, Decision, tool_key
from .base import Step, named, note
from .errors import NotDone
from .results import AgentResult
from .step import Prompt, render
from .tools import Tool, ToolArgumentError, looks_like_tool_call, toolset

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
    goes back to the model as the tool's result, so it can correct itself, and so does a
    final reply that is a tool call gone wrong (`{"tool": ...` that does not parse): it is
    never taken as the answer. A tool `approval` lists runs only after a person's yes; a
    refusal is the tool's result the model reads, and when the agent ends without that tool
    having run, the request is not done: NotDone (exit 1) carrying the agent's last words.
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
        refused: dict[str, Decision] = {}
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
                text = res.text or ""
                if not res.tool_calls and response_model is None and looks_like_tool_call(text):
                    calls = parse_tool_call(text, set(table), state.steps)
                    if not calls:  # broken JSON or an unknown tool: never the answer
                        _ask_again(state, text, table)
                        continue
                    res = dataclasses.replace(res, tool_calls=calls)  # a call written as text
                if not res.tool_calls:
                    state.output = res.output
                    _undone(refused, state)
                    return state
                state.output = res.text
                await _use_tools(run, table, res, state, approval, refused)
        except StoppedError as exc:
            exc.best = exc.best if exc.best is not None else state
            raise
        _capped(run, state, max_steps)
        _undone(refused, state)
        return state

    return named(name, run_agent)


async def _use_tools(
    run: Run,
    table: Mapping[str, Tool],
    res: CallResult[Any],
    state: AgentResult,
    approval: Approval | None,
    refused: dict[str, Decision],
) -> None:
    calls = res.tool_calls
    parts = [c.as_message_part() for c in calls]
    state.messages.append({"role": "assistant", "content": res.text or None, "tool_calls": parts})
    for call in calls:
        state.tool_calls += 1
        reply = await _approved_call(run, table, call, approval, refused)
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
    run: Run,
    table: Mapping[str, Tool],
    call: ToolCall,
    approval: Approval | None,
    refused: dict[str, Decision],
) -> str:
    if approval is None or not approval.needs(call.name):
        return await _call_tool(table, call)
    decision = await approval.decide(run, call.name, call.arguments_json)
    if not decision.approved:
        refused[call.name] = decision
        return decision.refusal()
    refused.pop(call.name, None)  # asked again and allowed: it ran
    return await _call_tool(table, call)


def _ask_again(state: AgentResult, text: str, table: Mapping[str, Tool]) -> None:
    """A final reply that is a tool call gone wrong: tell the model, never take it as the
    answer (it would be printed as the result, and the call would silently not happen)."""
    note("tool-error", "the model's reply was a tool call that did not parse; asked again")
    state.output = None
    state.messages.append({"role": "assistant", "content": text})
    state.messages.append(
        {
            "role": "user",
            "content": (
                "Your reply looks like a tool call but is not a valid one. To call a tool, "
                'reply with only a complete JSON object {"tool": "<name>", "arguments": '
                f"{{...}}}} naming one of: {', '.join(sorted(table))}. Otherwise answer the "
                "request in plain text."
            ),
        }
    )


def _undone(refused: Mapping[str, Decision], state: AgentResult) -> None:
    """The agent ended though a tool under approval was refused (and never ran after): the
    request did not fully happen, as for a refused step of a known flow. Raise NotDone."""
    if not refused:
        return
    tool, decision = next(iter(refused.items()))
    if decision.by == BY_NO_TERMINAL:
        why = (
            "was refused: it needs a person's yes and no terminal was attached to ask one; run "
            f"it on a terminal, or allow it with `--approve {tool}`"
        )
    else:
        why = "was declined by the person at the terminal"
    undone = NotDone(tool, why, state)
    note("approval", str(undone))
    raise undone


def _capped(run: Run, state: AgentResult, max_steps: int) -> None:
    cap = CapReached("max_steps", max_steps, max_steps + 1)
    run.note_stop(cap)
    note("cap", f"no final answer after {max_steps} model turns", cap=cap.reason)
    state.stopped_by = cap.reason
