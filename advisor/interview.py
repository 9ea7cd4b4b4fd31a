"""The interview as data: questions with `when` conditions, validators and defaults.

`run_questions` walks them with any `Asker` (a function that puts one question to the user), so
the flow is testable without a terminal; `questionary_asker` is the small terminal adapter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .answers import Answers, parse_answers
from .errors import Interrupted

Kind = Literal["text", "list", "confirm", "select", "number", "money"]
Collected = dict[str, Any]

_ITEM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.-]*$")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.-]*$")


@dataclass(frozen=True, kw_only=True)
class Choice:
    """One option of a select question."""

    value: str
    """What goes into the answers."""
    title: str
    """What the user sees."""


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question of the interview; `when` decides whether it is asked at all."""

    key: str
    """The Answers field it fills."""
    kind: Kind
    """How it is asked and parsed."""
    message: str
    """The question as the user sees it."""
    hint: str = ""
    """A short line of guidance shown with the question."""
    default: str | bool = ""
    """Pre-filled answer (a string for typed answers, a bool for confirms, a value for selects)."""
    choices: tuple[Choice, ...] = ()
    """Options of a select question."""
    when: Callable[[Collected], bool] = field(default=lambda _: True)
    """Ask only when this holds for the answers collected so far."""
    required: bool = False
    """Whether an empty answer is refused (lists: at least one entry)."""
    names: bool = True
    """List entries are names (steps, categories, tools); False for free text such as criteria."""

    def resolve(self, raw: str) -> str:
        """The typed text, or the default when the user just pressed Enter."""
        text = raw.strip()
        return text if text or isinstance(self.default, bool) else self.default

    def validate(self, raw: str) -> str | None:
        """None when `raw` is acceptable, else a message saying what to type instead."""
        return _VALIDATORS[self.kind](self, self.resolve(raw))

    def parse(self, raw: str | bool) -> Any:
        """The typed value for the answers (call only after `validate` accepted it)."""
        if isinstance(raw, bool) or self.kind in ("confirm", "select"):
            return raw
        text = self.resolve(raw)
        if self.kind == "list":
            return split_list(text)
        if self.kind == "number":
            return int(text.replace("_", "").replace(",", "")) if text else None
        if self.kind == "money":
            return float(text.lstrip("$")) if text else None
        return text


def split_list(text: str) -> list[str]:
    """Comma-separated entries, trimmed, empties dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _check_text(q: Question, text: str) -> str | None:
    if q.key == "name" and not _NAME_RE.match(text):
        return (
            "start with a letter; use letters, digits, spaces, '-', '_' or '.' (e.g. support-desk)"
        )
    if q.required and not text:
        return "please type an answer"
    return None


def _check_list(q: Question, text: str) -> str | None:
    items = split_list(text)
    if q.required and not items:
        return "list at least one, separated by commas (e.g. draft, review)"
    for item in items:
        if q.names and not _ITEM_RE.match(item):
            return f"{item!r}: start each name with a letter; use letters, digits, spaces, '-', '_'"
    lowered = [i.lower() for i in items]
    for item in items:
        if lowered.count(item.lower()) > 1:
            return f"{item!r} appears twice; each entry must be unique"
    return None


def _check_number(q: Question, text: str) -> str | None:
    cleaned = text.replace("_", "").replace(",", "")
    if not cleaned:
        return None if not q.required else "please type a number"
    if not cleaned.isdigit():
        return f"{text!r} is not a whole number of zero or more (e.g. 1000)"
    return None


def _check_money(q: Question, text: str) -> str | None:
    if not text:
        return None
    try:
        value = float(text.lstrip("$"))
    except ValueError:
        return f"{text!r} is not an amount in dollars (e.g. 0.05), or leave it empty for no cap"
    return None if value > 0 else "the cap must be above zero, or leave it empty for no cap"


def _no_check(q: Question, text: str) -> str | None:
    return None


_VALIDATORS: dict[Kind, Callable[[Question, str], str | None]] = {
    "text": _check_text,
    "list": _check_list,
    "number": _check_number,
    "money": _check_money,
    "confirm": _no_check,
    "select": _no_check,
}


def _flow_is(*flows: str) -> Callable[[Collected], bool]:
    return lambda a: a.get("flow") in flows


QUESTIONS: tuple[Question, ...] = (
    Question(
        key="flow",
        kind="select",
        message="Can a person draw the process flow before the system runs?",
        hint="The diagnostic question of the escalation ladder.",
        default="known",
        choices=(
            Choice(value="known", title="Yes: the same steps for every input"),
            Choice(
                value="depends-on-input",
                title="Partly: the kinds of subtask are known, which and how many depend on "
                "the input",
            ),
            Choice(value="unknown", title="No: the steps are discovered while working"),
        ),
    ),
    Question(
        key="task",
        kind="text",
        message="In one sentence, what should the system do?",
        default="",
    ),
    Question(
        key="steps",
        kind="list",
        message="List the steps in order, separated by commas (one step = a single call):",
        hint="e.g. extract, draft, review",
        default="answer",
        when=_flow_is("known"),
    ),
    Question(
        key="categories",
        kind="list",
        message="Do different kinds of input need different handling? List the kinds "
        "(comma-separated), or leave empty:",
        hint="e.g. billing, technical, general",
        when=_flow_is("known"),
    ),
    Question(
        key="categories",
        kind="list",
        message="Which kinds of worker could a request need? (comma-separated, or leave empty "
        "for one generic worker)",
        hint="e.g. python, sql, docs",
        when=_flow_is("depends-on-input"),
    ),
    Question(
        key="independent_subtasks",
        kind="list",
        message="Are there subtasks that need none of each other's results? List them "
        "(comma-separated), or leave empty:",
        hint="e.g. accuracy, tone, compliance",
        when=_flow_is("known"),
    ),
    Question(
        key="merge",
        kind="select",
        message="How should their results be joined?",
        default="model",
        choices=(
            Choice(value="model", title="A model call merges them"),
            Choice(value="code", title="Plain code joins them (no extra call)"),
        ),
        when=lambda a: a.get("flow") == "known" and len(a.get("independent_subtasks", [])) >= 2,
    ),
    Question(
        key="needs_confidence",
        kind="confirm",
        message="Do you need extra confidence in a short verdict (run it several times, vote)?",
        default=False,
        when=_flow_is("known"),
    ),
    Question(
        key="errors_are_random",
        kind="confirm",
        message="When the model gets it wrong, is it only sometimes wrong on the same input "
        "(not always the same way)?",
        hint="Voting only helps when errors are random.",
        default=True,
        when=lambda a: a.get("flow") == "known" and bool(a.get("needs_confidence")),
    ),
    Question(
        key="mixed_difficulty",
        kind="confirm",
        message="Are most inputs easy and some hard, and does cost matter?",
        default=False,
    ),
    Question(
        key="refinement",
        kind="confirm",
        message="Does the output get better with critique and revision?",
        default=False,
    ),
    Question(
        key="criteria",
        kind="list",
        message="What should an evaluator check? (comma-separated)",
        hint="e.g. faithful, fluent; without criteria no evaluator is added",
        when=lambda a: bool(a.get("refinement")),
        names=False,
    ),
    Question(
        key="tools",
        kind="list",
        message="Which tools may the agent call? (comma-separated)",
        hint="e.g. search, read_file",
        when=_flow_is("unknown"),
    ),
    Question(
        key="latency_sensitive",
        kind="confirm",
        message="Is a person waiting for each answer (latency matters)?",
        default=False,
    ),
    Question(
        key="volume_per_day",
        kind="number",
        message="About how many requests per day?",
        default="1000",
    ),
    Question(
        key="budget_usd_per_request",
        kind="money",
        message="Hard cap in dollars per request (empty for none):",
        hint="e.g. 0.05; the generated project refuses any call that would exceed it",
    ),
    Question(
        key="name",
        kind="text",
        message="Project name:",
        default="my-workflow",
        required=True,
    ),
)


def questions_named(default_name: str | None) -> tuple[Question, ...]:
    """The questions, with `default_name` (e.g. the target folder's name) as the name's default."""
    if default_name is None or not _NAME_RE.match(default_name):
        return QUESTIONS
    return tuple(replace(q, default=default_name) if q.key == "name" else q for q in QUESTIONS)


Asker = Callable[[Question], "str | bool"]
"""Puts one question to the user and returns the raw answer (it must pass `validate`)."""


def run_questions(ask: Asker, questions: tuple[Question, ...] = QUESTIONS) -> Answers:
    """Ask every question whose `when` holds, in order, and validate the result."""
    collected: Collected = {}
    for question in questions:
        if not question.when(collected):
            continue
        value = question.parse(ask(question))
        if value is not None and value != []:
            collected[question.key] = value
        elif question.key in collected:
            del collected[question.key]
    return parse_answers(collected, source="interview")


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
        return answer  # type: ignore[no-any-return]

    return ask


def _prompt(questionary: Any, q: Question, kwargs: dict[str, Any]) -> Any:
    if q.kind == "select":
        choices = [questionary.Choice(title=c.title, value=c.value) for c in q.choices]
        hint = f"({q.hint} Arrow keys, then Enter)" if q.hint else None
        return questionary.select(
            q.message, choices=choices, default=q.default, instruction=hint, **kwargs
        )
    if q.kind == "confirm":
        return questionary.confirm(q.message, default=bool(q.default), **kwargs)

    def validate(text: str) -> bool | str:
        problem = q.validate(text)
        return True if problem is None else problem

    # The buffer starts empty (a pre-filled default would be appended to); Enter takes the default.
    return questionary.text(q.message, validate=validate, instruction=_instruction(q), **kwargs)


def _instruction(q: Question) -> str | None:
    parts = [q.hint] if q.hint else []
    if q.default:
        parts.append(f"Enter for {q.default}")
    return f"({'; '.join(parts)})" if parts else None
