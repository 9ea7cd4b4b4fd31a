"""Models, max_tokens and limits per step: what the template and settings.json need."""

from __future__ import annotations

from runtime.catalog import DEFAULTS, STEP_KINDS, step_kinds
from runtime.conversation.memory import CONVERSATION_KINDS
from runtime.plan import Node
from runtime.settings import LimitSettings

from ..answers import Answers
from ..recommendation import Params


def params(
    answers: Answers, tree: Node, worst: int, tier_models: dict[str, str], warnings: list[str]
) -> Params:
    """Every step's model (its own entry, its kind's, its tier's, else the default)."""
    kinds = step_kinds(tree)
    if answers.conversation:  # chat adds a state update and a summary step of its own
        kinds |= CONVERSATION_KINDS
    default = answers.models.get("default", DEFAULTS.default_model)
    # The small model only where it is the default's own provider: a project on Anthropic, Ollama
    # or a compatible server must not need an OpenAI key for its classify steps.
    same = default.split("/")[0] == DEFAULTS.small_model.split("/")[0]
    small_model = DEFAULTS.small_model if same and answers.api_base is None else default
    small_steps = set(tree.children[0].all_steps()) if _difficulty_routed(tree) else set()
    models = {}
    for step, kind in kinds.items():
        small = STEP_KINDS[kind].small_model or step in small_steps
        fallback = tier_models.get(step, small_model if small else default)
        models[step] = answers.models.get(step, answers.models.get(kind, fallback))
    known = {"default", *kinds, *kinds.values()}
    for key in answers.models:
        if key not in known:
            warnings.append(
                f"models: `{key}` names no step or step kind of this workflow; steps are "
                f"{', '.join(kinds)}"
            )
    return Params(
        default_model=default,
        models=models,
        step_kinds=dict(kinds),
        max_tokens={step: STEP_KINDS[kind].max_tokens for step, kind in kinds.items()},
        limits=LimitSettings(
            max_usd=answers.budget_usd_per_request,
            max_calls=worst * DEFAULTS.max_calls_factor,
        ),
    )


def _difficulty_routed(tree: Node) -> bool:
    return tree.pattern == "routing" and tree.params.get("by") == "difficulty"
