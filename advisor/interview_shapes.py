"""The interview's questions about shapes beyond the ladder's rungs, each asked only when the
answers so far point to it: a map over items, a cascade, subtasks that need each other, a
conversation, and approval before a tool with side effects.

The hints come from the user's own words: a step named for its items (`summarize_chunk`), a
task "for each section", a task that is a chat, a tool named `issue_refund`. Answers kept under
the interview's own keys (`_each:STEP`, `_each_step`, `_tier_by`, `_strong_model`) become
answers fields in `shape_fields`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from runtime.catalog import DEFAULTS
from runtime.settings import ConversationSettings

from .diagnosis.advice import SIDE_EFFECT_WORDS
from .question import Choice, Collected, Question
from .task_model import infer_role, name_words

ITEM_WORDS: dict[str, str] = {
    **{w: w for w in ("chunk", "document", "doc", "section", "item", "page", "paragraph")},
    **{w: w for w in ("file", "record", "row", "entry", "chapter", "clause", "review")},
    **{w: w for w in ("email", "message", "ticket", "comment", "article", "image", "part")},
    "chunks": "chunk",
    "documents": "document",
    "docs": "doc",
    "sections": "section",
    "items": "item",
    "pages": "page",
    "paragraphs": "paragraph",
    "files": "file",
    "records": "record",
    "rows": "row",
    "entries": "entry",
    "chapters": "chapter",
    "clauses": "clause",
    "reviews": "review",
    "emails": "email",
    "messages": "message",
    "tickets": "ticket",
    "comments": "comment",
    "articles": "article",
    "images": "image",
    "parts": "part",
}
"""Whole words naming the items an input splits into, each with its singular."""

_STEP_ITEM_WORDS = frozenset(ITEM_WORDS) - {"review", "message", "email", "article"}
"""Item words that mark a step as per-item in its name: a plural always (`summarize_reviews`),
a singular unless it is usually the one thing a step writes or does (`draft_email`,
`review_draft`)."""

CHAT_WORDS = frozenset(
    (
        "chat",
        "chatbot",
        "conversation",
        "conversations",
        "conversational",
        "dialogue",
        "dialog",
        "tutor",
        "tutoring",
        "coach",
        "companion",
    )
)
"""Whole words of a task that say a person talks with it over several turns."""

NONE = "none"
"""The choice of no step in `_each_step`."""


def _steps(a: Collected) -> list[str]:
    return [s for s in a.get("steps") or [] if isinstance(s, str)]


def step_item(step: str) -> str | None:
    """The item a step's name says it works on, once each (`summarize_chunk` -> chunk)."""
    for word in name_words(step):
        if word in _STEP_ITEM_WORDS:
            return ITEM_WORDS[word]
    return None


def task_item(task: str) -> str | None:
    """The item a task says it handles one by one: "for each section", "per document"."""
    words = name_words(task)
    for i, word in enumerate(words[:-1]):
        if word in ("each", "every", "per"):
            ahead = words[i + 1 : i + 3]  # "each long document": one word may come between
            for later in ahead:
                if later in ITEM_WORDS:
                    return ITEM_WORDS[later]
    return None


def _known_steps(a: Collected) -> bool:
    return a.get("flow") == "known" and bool(_steps(a))


def _is_check(a: Collected, step: str) -> bool:
    return str(a.get(f"_role:{step}") or infer_role(step)) == "check"


def _tailor_each(q: Question, a: Collected) -> Question:
    item = step_item(q.item) or "item"
    return replace(
        q,
        message=f"Does {q.item} run once per {item}, on every {item} at the same time?",
        hint=f"code splits the input into {item}s (a stub you can change); a later step joins",
    )


def _task_item_unclaimed(a: Collected) -> bool:
    return (
        _known_steps(a)
        and task_item(str(a.get("task", ""))) is not None
        and not any(step_item(s) for s in _steps(a))
    )


def _tailor_each_step(q: Question, a: Collected) -> Question:
    item = task_item(str(a.get("task", ""))) or "item"
    steps = _steps(a)
    return replace(
        q,
        message=f"Your task works per {item}: which step runs once per {item}, all at once?",
        choices=(
            *(Choice(value=s, title=s) for s in steps),
            Choice(value=NONE, title="none: every step sees the whole input at once"),
        ),
        default=NONE,
    )


def risky_tools(a: Collected) -> list[str]:
    """The tools whose names say they change something outside the system."""
    tools = [t for t in a.get("tools") or [] if isinstance(t, str)]
    return [t for t in tools if SIDE_EFFECT_WORDS & set(name_words(t))]


def _tailor_approval(q: Question, a: Collected) -> Question:
    tools = [t for t in a.get("tools") or [] if isinstance(t, str)]
    return replace(
        q,
        choices=tuple(Choice(value=t, title=t) for t in tools),
        default=", ".join(risky_tools(a)),
    )


def _is_chat(a: Collected) -> bool:
    return bool(CHAT_WORDS & set(name_words(str(a.get("task", "")))))


ACTION_WORDS = SIDE_EFFECT_WORDS - {"write", "create", "update", "post", "email"}
"""Whole words of a step name that say the step acts outside the system (`send_reply`); the
others of SIDE_EFFECT_WORDS name a step that writes text (`write_summary`, `draft_email`)."""


def acting_step(a: Collected, step: str) -> bool:
    """Whether a step's name says it acts outside the system (and it is not a check)."""
    return bool(ACTION_WORDS & set(name_words(step))) and not _is_check(a, step)


def _tailor_acts(q: Question, a: Collected) -> Question:
    return replace(
        q,
        message=f"{q.item} acts outside the system: should it wait for a person's yes first?",
    )


ACTS_STEP_QUESTION = Question(
    key="_asks",
    kind="confirm",
    message="Should this step wait for a person's yes before it runs?",
    hint="it asks on the terminal; without one it does not run unless run --approve STEP",
    default=True,
    each="steps",
    fills="approval",
    when=_known_steps,
    when_item=acting_step,
    tailor=_tailor_acts,
)
"""Asked with the other step questions, about a step whose name says it sends, pays, books..."""

EACH_STEP_QUESTION = Question(
    key="_each",
    kind="confirm",
    message="Does this step run once per item?",
    default=True,
    each="steps",
    fills="steps",
    when=_known_steps,
    when_item=lambda a, step: step_item(step) is not None and not _is_check(a, step),
    tailor=_tailor_each,
)
"""Asked with the other step questions, about a step whose name says it works per item (a
check judges what the step before it made, so it is not asked)."""

SHAPE_QUESTIONS: dict[str, tuple[Question, ...]] = {
    "after_steps": (
        Question(
            key="_each_step",
            kind="select",
            message="Which step runs once per item?",
            fills="steps",
            when=_task_item_unclaimed,
            tailor=_tailor_each_step,
        ),
    ),
    "after_workers": (
        Question(
            key="dependencies",
            kind="confirm",
            message="May a subtask need another subtask's results?",
            hint="then the plan orders them and each wave of independent ones runs at once",
            default=False,
            when=lambda a: a.get("flow") == "depends-on-input",
        ),
    ),
    "after_difficulty": (
        Question(
            key="_tier_by",
            kind="select",
            message="How should an input's difficulty be found?",
            default="classify",
            choices=(
                Choice(value="classify", title="classify: one cheap call up front picks the model"),
                Choice(
                    value="cascade",
                    title=(
                        "cascade: the cheap model answers first; only answers it is unsure of "
                        "go to the strong model"
                    ),
                ),
            ),
            fills="difficulty",
            when=lambda a: bool(a.get("mixed_difficulty")),
        ),
    ),
    "after_tools": (
        Question(
            key="approval",
            kind="list",
            message="Which of these tools need a person's yes before they run? (or none)",
            hint=(
                "they ask on the terminal, showing the arguments; without one they are "
                "refused unless run with --approve TOOL"
            ),
            when=lambda a: a.get("flow") == "unknown" and bool(risky_tools(a)),
            tailor=_tailor_approval,
        ),
    ),
    "after_latency": (
        Question(
            key="conversation",
            kind="confirm",
            message="Is this a conversation: several turns with a person, remembering them?",
            hint="the project then gets `chat`, which keeps each session's state and history",
            default=True,
            when=_is_chat,
        ),
        Question(
            key="summarize_after",
            kind="number",
            message="After how many turns should older turns be folded into a summary?",
            hint="the last few turns stay word for word; the summary keeps the prompt short",
            default=str(ConversationSettings.model_fields["summarize_after"].default),
            when=lambda a: bool(a.get("conversation")),
        ),
    ),
}
"""The shape questions by where they go in the interview."""


def _cascade_on(provider: str) -> Callable[[Collected], bool]:
    return lambda a: a.get("_tier_by") == "cascade" and a.get("_provider") == provider


def strong_model_questions(providers: dict[str, Any]) -> tuple[Question, ...]:
    """For a cascade: the strong model the unsure answers escalate to (per provider, and one
    for models given with `--data`, where no provider was asked)."""
    per_provider = tuple(
        Question(
            key="_strong_model",
            kind="text",
            message=f"Which {p.name} model takes the answers the cheap one is unsure of?",
            hint="a stronger, dearer model than the one every input goes to first",
            default=p.strong_model,
            required=True,
            names=False,
            fills="difficulty",
            when=_cascade_on(p.id),
        )
        for p in providers.values()
    )
    first = next(iter(providers.values()))
    given = Question(
        key="_strong_model",
        kind="text",
        message="Which model (a litellm string) takes the answers the cheap one is unsure of?",
        default=first.model_string(first.strong_model),
        required=True,
        names=False,
        fills="difficulty",
        when=lambda a: a.get("_tier_by") == "cascade" and "_provider" not in a,
    )
    return (*per_provider, given)


def each_of(collected: Collected, step: str) -> str | None:
    """The item `step` runs once per, from the interview's answers (None: once per input)."""
    if collected.get(f"_each:{step}") is True:
        return step_item(step)
    if collected.get("_each_step") == step:
        return task_item(str(collected.get("task", "")))
    return None


def shape_fields(collected: Collected, out: Collected, provider: Any) -> None:
    """Approval for the acting steps, and the cascade's tiers: the cheap model first, the strong
    one after. `provider` is the one chosen (None when the models came with `--data`)."""
    steps = [s for s in collected.get("steps") or [] if isinstance(s, str)]
    asking = [s for s in steps if collected.get(f"_asks:{s}") is True]
    if asking:  # a known flow's step under approval is named like the action (the tool) it does
        tools = list(out.get("tools", []))
        out["tools"] = tools + [s for s in asking if s not in tools]
        out["approval"] = [*out.get("approval", []), *asking]
        out["schema"] = 2
    if collected.get("_tier_by") != "cascade":
        return
    strong = str(collected.get("_strong_model") or "").strip()
    easy = (out.get("models") or {}).get("default") or DEFAULTS.default_model
    if not strong:
        return
    hard = provider.model_string(strong) if provider is not None else strong
    out.pop("mixed_difficulty", None)
    out["difficulty"] = {"easy": easy, "hard": hard, "by": "cascade"}
    out["schema"] = 2
