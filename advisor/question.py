"""One interview question as data: its kind, validator, default, `when` condition and place.

The terminal never appears here, so questions are tested as plain data (copier's habit).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Kind = Literal["text", "list", "confirm", "select", "number", "money"]
Collected = dict[str, Any]

BACK = "<"
"""What an asker returns to go back one question (typed as `<` at a text prompt)."""

NONE_TYPED = "none"
"""What a person types at a list question to list nothing (when its default lists some)."""

_ITEM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.-]*$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.-]*$")


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
    number: int = 0
    """This question's place in the interview (set while it runs; 0 outside it)."""
    total: int = 0
    """How many questions the interview has, given the answers so far."""
    back: bool = False
    """Whether there is a previous question to go back to."""
    fills: str = ""
    """The answers key this question fills, when not its own key (a preset skips it)."""
    choices_from: str = ""
    """A list answer collected earlier whose entries are this select's choices (e.g. steps)."""
    default_last: bool = False
    """With `choices_from`: the default is the last entry (else the first)."""
    each: str = ""
    """A list answer (e.g. steps): the question is asked once per entry, keyed `key:entry`."""
    item: str = ""
    """The entry this copy of an `each` question is about."""
    when_item: Callable[[Collected, str], bool] | None = None
    """With `each`: ask about an entry only when this holds for it (besides `when`)."""
    tailor: Callable[[Question, Collected], Question] | None = None
    """Fills in the text, choices and default from the answers so far (e.g. for its item)."""

    def copies(self, entries: list[str]) -> list[Question]:
        """One copy per entry of an `each` question (itself alone otherwise)."""
        if not self.each:
            return [self]
        return [
            replace(self, key=f"{self.key}:{e}", item=e, each="", when=self._when_for(e))
            for e in entries
        ]

    def _when_for(self, entry: str) -> Callable[[Collected], bool]:
        when, when_item = self.when, self.when_item
        return lambda a: when(a) and (when_item is None or when_item(a, entry))

    def with_choices(self, collected: Collected) -> Question:
        """This question with its choices read from an earlier answer, when it takes them so."""
        if self.tailor is not None:
            return self.tailor(self, collected)
        if not self.choices_from:
            return self
        entries = [str(e) for e in collected.get(self.choices_from) or []]
        if not entries:
            return self
        default = entries[-1] if self.default_last else entries[0]
        return replace(
            self, choices=tuple(Choice(value=e, title=e) for e in entries), default=default
        )

    @property
    def progress(self) -> str:
        """`question 3 of 9`, or nothing outside an interview."""
        return f"question {self.number} of {self.total}" if self.number else ""

    def resolve(self, raw: str) -> str:
        """The typed text, or the default when the user just pressed Enter."""
        text = raw.strip()
        return text if text or isinstance(self.default, bool) else self.default

    def validate(self, raw: str) -> str | None:
        """None when `raw` is acceptable, else a message saying what to type instead."""
        if self.back and raw.strip() == BACK:
            return None
        return _VALIDATORS[self.kind](self, self.resolve(raw))

    def parse(self, raw: str | bool) -> Any:
        """The typed value for the answers (call only after `validate` accepted it)."""
        if isinstance(raw, bool) or self.kind in ("confirm", "select"):
            return raw
        text = self.resolve(raw)
        if self.kind == "list":
            if text.lower() == NONE_TYPED:
                return []
            spelled = {c.value.lower(): c.value for c in self.choices}  # a choice's own spelling
            return [spelled.get(e.lower(), e) for e in split_list(text)]
        if self.kind == "number":
            return int(text.replace("_", "").replace(",", "")) if text else None
        if self.kind == "money":
            return float(text.lstrip("$")) if text else None
        return text


def split_list(text: str) -> list[str]:
    """Comma-separated entries, trimmed, empties dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _check_text(q: Question, text: str) -> str | None:
    if q.key == "name" and not NAME_RE.match(text):
        return (
            "start with a letter; use letters, digits, spaces, '-', '_' or '.' (e.g. support-desk)"
        )
    if q.required and not text:
        return "please type an answer"
    if q.key == "api_base" and not text.startswith(("http://", "https://")):
        return "give the server's URL, e.g. http://localhost:8080/v1"
    return None


def _check_list(q: Question, text: str) -> str | None:
    items = [] if text.strip().lower() == NONE_TYPED else split_list(text)
    if q.required and not items:
        return "list at least one, separated by commas (e.g. draft, review)"
    for item in items:
        if q.names and not _ITEM_RE.match(item):
            return f"{item!r}: start each name with a letter; use letters, digits, spaces, '-', '_'"
    lowered = [i.lower() for i in items]
    for item in items:
        if lowered.count(item.lower()) > 1:
            return f"{item!r} appears twice; each entry must be unique"
    allowed = {c.value.lower() for c in q.choices}
    for item in items:
        if allowed and item.lower() not in allowed:
            return f"{item!r} is not one of {', '.join(c.value for c in q.choices)}"
    return None


def _check_number(q: Question, text: str) -> str | None:
    cleaned = text.replace("_", "").replace(",", "")
    if not cleaned:
        return None if not q.required else "please type a number"
    if not cleaned.isdigit():
        return f"{text!r} is not a whole number of zero or more (e.g. 1000)"
    if q.key == "summarize_after" and int(cleaned) < 1:
        return "fold turns after at least 1 turn (e.g. 10)"
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
