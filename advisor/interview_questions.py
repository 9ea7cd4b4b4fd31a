"""The interview's questions, in order, as data; and the model providers it offers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .interview_shapes import SHAPE_QUESTIONS, strong_model_questions
from .interview_steps import STEP_QUESTIONS, role_of
from .question import NAME_RE, Choice, Collected, Question


def _flow_is(*flows: str) -> Callable[[Collected], bool]:
    return lambda a: a.get("flow") in flows


def _provider_is(provider: str) -> Callable[[Collected], bool]:
    return lambda a: a.get("_provider") == provider


def _refinable(q: Question, a: Collected) -> Question:
    """The refine question offering the steps that write (a check is not revised, it judges)."""
    steps = [s for s in a.get("steps") or [] if isinstance(s, str) and role_of(a, s) != "check"]
    if not steps:
        return q
    return replace(q, choices=tuple(Choice(value=s, title=s) for s in steps), default=steps[-1])


@dataclass(frozen=True, kw_only=True)
class Provider:
    """Where the generated project's models run, and the key variable it reads."""

    id: str
    """The choice's value."""
    name: str
    """The provider as people call it."""
    prefix: str
    """The litellm prefix of its model strings."""
    key_var: str | None
    """The environment variable holding its API key (None: no key)."""
    default_model: str
    """The model offered when the user just presses Enter."""
    strong_model: str = ""
    """The stronger model offered for a cascade's escalations."""

    where: str = ""
    """Where it runs, when that is not the provider's own cloud."""

    @property
    def title(self) -> str:
        """The choice as the user sees it: the provider and the key it needs."""
        if self.id == "compatible":
            return "Another OpenAI-compatible server (llama.cpp, vLLM, LM Studio, a gateway)"
        needs = f"needs {self.key_var}" if self.key_var else "no key needed"
        return f"{self.name}{self.where} ({needs})"

    @property
    def key_hint(self) -> str:
        """Where the key goes, shown with the model question."""
        if self.id == "compatible":
            return (
                "the name the server serves, e.g. gemma-3-270m; a key only if the server "
                "wants one, in OPENAI_API_KEY"
            )
        if self.key_var is None:
            return f"pull it first (ollama pull {self.default_model}); no key needed"
        return f"the key goes in {self.key_var}, in your environment or the project's .env"

    def model_string(self, model: str) -> str:
        """The litellm model string for what the user typed (`gpt-4o` -> `openai/gpt-4o`)."""
        model = model.strip()
        return model if model.startswith(self.prefix) else self.prefix + model


PROVIDERS: dict[str, Provider] = {
    p.id: p
    for p in (
        Provider(
            id="openai",
            name="OpenAI",
            prefix="openai/",
            key_var="OPENAI_API_KEY",
            default_model="gpt-4o-mini",
            strong_model="gpt-4o",
        ),
        Provider(
            id="anthropic",
            name="Anthropic",
            prefix="anthropic/",
            key_var="ANTHROPIC_API_KEY",
            default_model="claude-haiku-4-5",
            strong_model="claude-sonnet-4-5",
        ),
        Provider(
            id="ollama",
            name="Ollama",
            where=" on this machine",
            prefix="ollama/",
            key_var=None,
            default_model="llama3.1",
            strong_model="llama3.1:70b",
        ),
        Provider(
            id="compatible",
            name="OpenAI-compatible server's",
            prefix="openai/",
            key_var=None,
            default_model="",
        ),
    )
}
"""The providers the interview offers; any other litellm model string works in an answers file."""


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
                title="Partly: which subtasks, and how many, depend on the input",
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
        message="List the steps in order (comma-separated; one step is one call):",
        hint="e.g. extract, draft, review",
        default="answer",
        when=_flow_is("known"),
    ),
    *STEP_QUESTIONS,
    *SHAPE_QUESTIONS["after_steps"],
    Question(
        key="categories",
        kind="list",
        message="Which different kinds of input need their own handling? (or none)",
        hint="e.g. billing, technical, general",
        when=_flow_is("known"),
    ),
    Question(
        key="categories",
        kind="list",
        message="Which kinds of worker could a request need? (or none: one generic worker)",
        hint="e.g. python, sql, docs",
        when=_flow_is("depends-on-input"),
    ),
    *SHAPE_QUESTIONS["after_workers"],
    Question(
        key="independent_subtasks",
        kind="list",
        message="Which subtasks need none of each other's results? (or none)",
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
        message="On one input, is the model wrong only sometimes (not every time)?",
        hint="Voting only helps when errors are random.",
        default=True,
        when=lambda a: a.get("flow") == "known" and bool(a.get("needs_confidence")),
    ),
    Question(
        key="vote",
        kind="select",
        message="Which step's answer should be voted on?",
        hint="A short label or verdict votes well; the other steps run once.",
        choices_from="steps",
        when=lambda a: (
            a.get("flow") == "known"
            and bool(a.get("needs_confidence"))
            and a.get("errors_are_random", True)
            and len(a.get("steps", [])) >= 2
        ),
    ),
    Question(
        key="mixed_difficulty",
        kind="confirm",
        message="Are most inputs easy and some hard, and does cost matter?",
        default=False,
    ),
    *SHAPE_QUESTIONS["after_difficulty"],
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
        key="refine",
        kind="select",
        message="Which step should the critique loop wrap?",
        hint="Only that step is judged and revised; the steps around it run once.",
        tailor=_refinable,
        when=lambda a: (
            a.get("flow") == "known"
            and bool(a.get("refinement"))
            and bool(a.get("criteria"))
            and len(a.get("steps", [])) >= 2
        ),
    ),
    Question(
        key="tools",
        kind="list",
        message="Which tools may the agent call? (comma-separated)",
        hint="e.g. search, read_file",
        when=_flow_is("unknown"),
    ),
    *SHAPE_QUESTIONS["after_tools"],
    Question(
        key="latency_sensitive",
        kind="confirm",
        message="Is a person waiting for each answer (latency matters)?",
        default=False,
    ),
    *SHAPE_QUESTIONS["after_latency"],
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
        key="_provider",
        kind="select",
        message="Which models will the project call?",
        hint="Until you add a key, the project runs offline on a simulated model (--mock).",
        default="openai",
        choices=tuple(Choice(value=p.id, title=p.title) for p in PROVIDERS.values()),
        fills="models",
    ),
    *(
        Question(
            key="_model",
            kind="text",
            message=f"Which {p.name} model?",
            hint=p.key_hint,
            default=p.default_model,
            required=True,
            when=_provider_is(p.id),
            names=False,
            fills="models",
        )
        for p in PROVIDERS.values()
    ),
    Question(
        key="api_base",
        kind="text",
        message="The server's URL (its OpenAI-compatible base, usually ending in /v1):",
        hint="e.g. http://localhost:8080/v1 for llama.cpp, http://localhost:8000/v1 for vLLM",
        required=True,
        when=_provider_is("compatible"),
    ),
    *strong_model_questions(PROVIDERS),
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
    if default_name is None or not NAME_RE.match(default_name):
        return QUESTIONS
    return tuple(replace(q, default=default_name) if q.key == "name" else q for q in QUESTIONS)
