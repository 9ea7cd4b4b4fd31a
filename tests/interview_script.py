"""A scripted asker for the interview's questions, so the tests drive it without a terminal."""

from __future__ import annotations

from typing import Any

from advisor.interview import Question


def replay(script: list[tuple[str, Any]]) -> tuple[Any, list[Question]]:
    """An asker giving the scripted replies in order to the questions they name; every other
    question gets its default. Returns the asker and the questions it was asked, in order."""
    pending = list(script)
    seen: list[Question] = []

    def ask(q: Question) -> str | bool:
        seen.append(q)
        if pending and pending[0][0] == q.key:
            return pending.pop(0)[1]  # type: ignore[no-any-return]
        return q.default if q.key != "_model" or q.default else "some-model"

    return ask, seen
