"""The parts of an answers file v2 (CONTRACTS §1): steps with roles, stages, criteria, tiers.

A bare step name is shorthand for a step mapping whose role is read from the whole words of
the name (`check_style` -> check, `investigate` -> generate). Everything here is data; the
rules that tie the parts together are in `task_rules.py`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["generate", "extract", "transform", "check", "classify"]
By = Literal["model", "code"]

MAX_PARALLEL = 20
"""Most steps in one parallel stage."""

_ROLE_WORDS: dict[Role, frozenset[str]] = {
    "check": frozenset(
        (
            "check",
            "checks",
            "verify",
            "validate",
            "review",
            "grade",
            "judge",
            "audit",
            "inspect",
            "moderate",
            "proofread",
            "lint",
            "test",
            "assess",
        )
    ),
    "transform": frozenset(
        (
            "translate",
            "summarize",
            "summarise",
            "format",
            "shorten",
            "rewrite",
            "paraphrase",
            "convert",
            "simplify",
            "condense",
            "localize",
            "localise",
            "polish",
            "edit",
        )
    ),
    "extract": frozenset(
        (
            "extract",
            "parse",
            "pull",
            "scrape",
        )
    ),
    "classify": frozenset(
        (
            "classify",
            "categorize",
            "categorise",
            "triage",
            "label",
            "detect",
            "route",
        )
    ),
}
"""Whole words of a step name that say its role; anything else generates."""

_GENERATE_WORDS = frozenset(
    (
        "draft",
        "write",
        "compose",
        "generate",
        "answer",
        "reply",
        "respond",
        "response",
        "propose",
        "brainstorm",
        "suggest",
        "recommend",
        "create",
        "solve",
        "combine",
        "synthesize",
        "synthesise",
    )
)
"""Whole words that plainly say "generate": a name made of them needs no role question. Like
every role word, the first one decides (`review_draft` checks, `write_review` generates), and
a name with words of two roles is asked about in the interview."""


def name_words(name: str) -> list[str]:
    """The lower-case words of a step name: `check_style` -> ["check", "style"]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def infer_role(name: str) -> Role:
    """The role a bare step name implies, from its first word that names one (default generate).

    The first word decides (`check_translation` checks, `translate_check` transforms,
    `write_review` generates a review) and only whole words count, so `investigate`,
    `aggregate` and `upgrade` generate.
    """
    for word in name_words(name):
        if word in _GENERATE_WORDS:
            return "generate"
        for role, words in _ROLE_WORDS.items():
            if word in words:
                return role
    return "generate"


def role_is_clear(name: str) -> bool:
    """Whether a name names its role by a word (the interview asks about the rest)."""
    return any(w in words for w in name_words(name) for words in _ROLE_WORDS.values())


def roles_named(name: str) -> list[Role]:
    """The different roles the whole words of a name say, in order (none: it generates).

    The interview asks about a name that says none or more than one (`summarize_review`).
    """
    found: list[Role] = []
    for word in name_words(name):
        if word in _GENERATE_WORDS and not found:  # `write_review`: generate, then check
            found.append("generate")
        for role, words in _ROLE_WORDS.items():
            if word in words and role not in found:
                found.append(role)
    if not found and _GENERATE_WORDS & set(name_words(name)):
        return ["generate"]
    return found


class StepSpec(BaseModel):
    """One step of the pipeline: what it does with the flowing artifact (CONTRACTS §1 roles)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    """The step's name (prompt file, settings key and trace label)."""
    role: Role | None = None
    """generate / extract / transform / check / classify; None: inferred from the name."""
    by: By = "model"
    """A check made by a model call, or by a code function the user fills in (no call)."""
    on_fail: Literal["stop", "revise"] = "stop"
    """A failed check: end the run with its reason, or send feedback to the checked step."""
    checks: str | None = None
    """The step a check judges (default: the nearest earlier non-check step)."""
    each: str | None = Field(default=None, max_length=80)
    """Run once per item of this name, in parallel (a map); code splits the input into items."""

    @property
    def kind(self) -> Role:
        """The role given, else the one the name implies."""
        return self.role or infer_role(self.name)


class ParallelStage(BaseModel):
    """Independent steps that run at the same time, joined by a model call or by code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parallel: list[str | StepSpec] = Field(min_length=2, max_length=MAX_PARALLEL)
    """The steps of the stage."""
    merge: By = "model"
    """How their results are joined."""

    def specs(self) -> list[StepSpec]:
        """The stage's steps as step mappings."""
        return [as_spec(s) for s in self.parallel]


class Named(BaseModel):
    """A criterion or guardrail with how it is checked: `{name, by: code}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=2000)
    """What is checked, in the user's words."""
    by: By = "model"
    """A model call judges it, or a code function (no call)."""


class Difficulty(BaseModel):
    """Two tiers of input difficulty, each with its own model: a classify call picks the tier up
    front, or a cascade tries the easy model first and escalates the answers it doubts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    easy: str = Field(min_length=1, max_length=2000)
    """The model for easy inputs (usually small and cheap)."""
    hard: str = Field(min_length=1, max_length=2000)
    """The model for hard inputs."""
    by: Literal["classify", "cascade"] = "classify"
    """How the tier is decided: a classify call up front, or a cascade (the easy model answers,
    a confidence check judges, and only doubtful answers go to the hard model)."""
    check: Literal["model", "code"] = "model"
    """A cascade's confidence check: a short model call, or a code function (no call)."""


StepEntry = str | StepSpec | ParallelStage
"""One entry of `steps`: a bare name, a step mapping, or a parallel stage."""


def as_spec(entry: str | StepSpec) -> StepSpec:
    """A bare name as a step mapping (role left to inference)."""
    return entry if isinstance(entry, StepSpec) else StepSpec(name=entry.strip())


def as_named(entry: str | Named) -> Named:
    """A bare criterion or guardrail name as `{name, by: model}`."""
    return entry if isinstance(entry, Named) else Named(name=entry.strip())


def flat_specs(entries: list[StepEntry]) -> list[StepSpec]:
    """Every step of a pipeline in order, parallel stages opened up."""
    out: list[StepSpec] = []
    for entry in entries:
        out.extend(entry.specs() if isinstance(entry, ParallelStage) else [as_spec(entry)])
    return out


def checked_step(specs: list[StepSpec], index: int) -> str | None:
    """The step the check at `index` judges: its `checks:`, else the nearest earlier non-check."""
    spec = specs[index]
    if spec.checks:
        return spec.checks
    for earlier in reversed(specs[:index]):
        if earlier.kind != "check":
            return earlier.name
    return None
