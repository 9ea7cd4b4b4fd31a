"""The interview: `run_questions` walks the questions with any `Asker`, so the flow is testable
without a terminal; `questionary_asker` is the small terminal adapter.

Each question carries its place ("question 3 of 9"); an asker may answer `BACK` to return to
the previous question. Keys starting with `_` are the interview's own (the provider, the model
name) and become answers fields in `_finish`.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .answers import Answers, parse_answers
from .errors import Interrupted
from .interview_questions import PROVIDERS, QUESTIONS, questions_named
from .interview_shapes import shape_fields
from .interview_steps import step_mappings
from .question import BACK, Choice, Collected, Question, split_list

__all__ = [
    "BACK",
    "PROVIDERS",
    "QUESTIONS",
    "Asker",
    "Choice",
    "Question",
    "questionary_asker",
    "questions_named",
    "run_questions",
    "split_list",
]

Asker = Callable[[Question], "str | bool"]
"""Puts one question to the user and returns the raw answer (it must pass `validate`)."""


def run_questions(
    ask: Asker,
    questions: tuple[Question, ...] = QUESTIONS,
    preset: Collected | None = None,
) -> Answers:
    """Ask every question whose `when` holds, in order, and validate the result.

    Answers in `preset` (from `--data`) are not asked. An asker's `BACK` returns to the
    previous question with the answers as they were before it.
    """
    preset = dict(preset or {})
    collected: Collected = dict(preset)
    history: list[tuple[int, Collected]] = []
    i = 0
    while i < len(flat := _expand(questions, collected)):
        question = flat[i].with_choices(collected)
        if not _to_ask(question, collected, preset):
            i += 1
            continue
        number = len(history) + 1
        total = number + _still_to_ask(questions, i, collected, preset) - 1
        raw = ask(replace(question, number=number, total=total, back=bool(history)))
        if raw == BACK and history:
            i, collected = history.pop()
            continue
        history.append((i, dict(collected)))
        _store(collected, question.key, question.parse(raw))
        i += 1
    return parse_answers(_finish(collected), source="interview")


def _expand(questions: tuple[Question, ...], collected: Collected) -> list[Question]:
    """The questions with those asked per entry (`each`) copied for every entry collected.

    A run of consecutive questions over the same list is asked entry by entry: all of them
    about the first step, then all of them about the next.
    """
    out: list[Question] = []
    i = 0
    while i < len(questions):
        run = [questions[i]]
        while run[0].each and i + len(run) < len(questions):
            if questions[i + len(run)].each != run[0].each:
                break
            run.append(questions[i + len(run)])
        if not run[0].each:
            out.append(run[0])
        else:
            entries = [e for e in collected.get(run[0].each) or [] if isinstance(e, str)]
            out.extend(copy for e in entries for q in run for copy in q.copies([e]))
        i += len(run)
    return out


def _still_to_ask(
    questions: tuple[Question, ...], start: int, collected: Collected, preset: Collected
) -> int:
    """How many questions from `start` on will be asked if every one of them gets its default."""
    projected, count, j = dict(collected), 0, start
    while j < len(flat := _expand(questions, projected)):
        question = flat[j].with_choices(projected)
        j += 1
        if _to_ask(question, projected, preset):
            count += 1
            default = question.default
            if isinstance(default, bool) or question.validate(str(default)) is None:
                _store(projected, question.key, question.parse(default))
    return count


def _to_ask(question: Question, collected: Collected, preset: Collected) -> bool:
    return (question.fills or question.key) not in preset and question.when(collected)


def _store(collected: Collected, key: str, value: Any) -> None:
    if value is not None and value != []:
        collected[key] = value
    elif key in collected:
        del collected[key]


def _finish(collected: Collected) -> Collected:
    """The interview's own keys turned into answers fields: provider + model -> models."""
    out = {k: v for k, v in collected.items() if not k.startswith("_")}
    if "steps" in out:
        out["steps"] = step_mappings(collected)
        if any(not isinstance(s, str) for s in out["steps"]):
            out["schema"] = 2  # step mappings are the v2 form; the saved file says so
    provider = PROVIDERS.get(str(collected.get("_provider", "")))
    model = collected.get("_model")
    if provider is not None and isinstance(model, str) and model.strip():
        out["models"] = {"default": provider.model_string(model)}
    shape_fields(collected, out, provider)
    return out


def questionary_asker(**prompt_kwargs: Any) -> Asker:
    """A terminal asker on questionary; Ctrl-C becomes `Interrupted` (exit 130)."""

    def ask(question: Question) -> str | bool:
        import questionary

        prompt = _prompt(questionary, question, prompt_kwargs)
        try:
            answer = prompt.unsafe_ask()
        except KeyboardInterrupt:
            raise Interrupted("interrupted: nothing was written") from None
        if answer is None:  # EOF on the input
            raise Interrupted("input closed: nothing was written")
        if isinstance(answer, str) and question.back and answer.strip() == BACK:
            return BACK
        return answer  # type: ignore[no-any-return]

    return ask


def _prompt(questionary: Any, q: Question, kwargs: dict[str, Any]) -> Any:
    qmark = f"[{q.number}/{q.total}]" if q.number else "?"
    hint_above = "output" not in kwargs  # a real terminal: a hint that does not fit goes above
    if q.kind == "select":
        choices = [questionary.Choice(title=c.title, value=c.value) for c in q.choices]
        if q.back:
            choices.append(questionary.Choice(title="← back to the previous question", value=BACK))
        parts = [q.hint, "arrow keys, then Enter"]
        prompt = questionary.select(
            q.message,
            choices=choices,
            default=q.default,
            instruction=_fit(qmark, q.message, parts, hint_above),
            qmark=qmark,
            **kwargs,
        )
    elif q.kind == "confirm":
        parts = [q.hint, "y/n, < goes back" if q.back else "y/n"]
        prompt = questionary.confirm(
            q.message,
            default=bool(q.default),
            qmark=qmark,
            instruction=_fit(qmark, q.message, parts, hint_above),
            **kwargs,
        )
    else:

        def validate(text: str) -> bool | str:
            problem = q.validate(text)
            return True if problem is None else problem

        # The buffer starts empty (a pre-filled default would be appended to); Enter takes the
        # default.
        parts = [q.hint, f"Enter for {q.default}" if q.default else "", _back_hint(q)]
        prompt = questionary.text(
            q.message,
            validate=validate,
            instruction=_fit(qmark, q.message, parts, hint_above),
            qmark=qmark,
            **kwargs,
        )
    if q.back:
        _bind_back(prompt, text=q.kind not in ("select", "confirm"))
    return prompt


def _back_hint(q: Question) -> str:
    return "< goes back" if q.back else ""


def _fit(qmark: str, message: str, parts: list[str], hint_above: bool) -> str:
    """The instruction in parentheses after the question, when it fits the terminal's width.

    When it does not, it is printed on its own line above the question (on a terminal), so
    neither the hint nor the default nor the way back is lost or wrapped mid-word.
    """
    shown = [p for p in parts if p]
    inline = f"({'; '.join(shown)})"
    if not shown:
        return " "  # " ": questionary would add its own "(Use arrow keys)"
    if len(f"{qmark} {message} {inline}") <= shutil.get_terminal_size().columns:
        return inline
    if hint_above:
        width = max(40, shutil.get_terminal_size().columns - 1)
        print(textwrap.fill(" · ".join(shown), width, initial_indent="  ", subsequent_indent="  "))
    return " "


def _bind_back(prompt: Any, *, text: bool) -> None:
    """`<` answers BACK at once on a select or confirm (on text it is typed, then Enter)."""
    if text:
        return
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

    bindings = KeyBindings()

    @bindings.add("<", eager=True)
    def _back(event: Any) -> None:
        event.app.exit(result=BACK)

    app = prompt.application
    app.key_bindings = merge_key_bindings([app.key_bindings, bindings])
