"""Per-model prices: litellm's bundled price map read as data (no import), plus overrides."""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UnknownPriceError
from ..settings import PriceOverride

PRICE_MAP_FILE = "model_prices_and_context_window_backup.json"


@dataclass(frozen=True)
class Price:
    """What one model charges, in US dollars per million tokens."""

    input_per_mtok: float
    """Prompt tokens."""
    output_per_mtok: float
    """Completion tokens."""
    reasoning_per_mtok: float | None = None
    """Reasoning tokens, where the provider bills them apart from output (else output price)."""

    def cost(self, prompt_tokens: int, completion_tokens: int, reasoning_tokens: int = 0) -> float:
        """Dollars for one call; reasoning tokens are part of completion_tokens."""
        reasoning = min(reasoning_tokens, completion_tokens)
        reasoning_price = self.output_per_mtok
        if self.reasoning_per_mtok is not None:
            reasoning_price = self.reasoning_per_mtok
        total = (
            prompt_tokens * self.input_per_mtok
            + (completion_tokens - reasoning) * self.output_per_mtok
            + reasoning * reasoning_price
        )
        return total / 1_000_000


def _litellm_dir() -> Path | None:
    # find_spec locates the package without importing it (importing litellm takes seconds).
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


@functools.lru_cache(maxsize=1)
def bundled_price_map() -> Mapping[str, Mapping[str, Any]]:
    """litellm's bundled price map, or an empty map when litellm is not installed."""
    folder = _litellm_dir()
    if folder is None or not (folder / PRICE_MAP_FILE).is_file():
        return {}
    data = json.loads((folder / PRICE_MAP_FILE).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if isinstance(v, dict) and k != "sample_spec"}


def _candidate_keys(model: str) -> list[str]:
    """`openai/gpt-4o-mini` is keyed `gpt-4o-mini` in the map; others keep their prefix."""
    keys = [model]
    if "/" in model:
        keys.append(model.split("/", 1)[1])
    return keys


def map_entry(model: str) -> Mapping[str, Any] | None:
    """The bundled map's entry for a model string, if any."""
    table = bundled_price_map()
    for key in _candidate_keys(model):
        entry = table.get(key)
        if entry is not None and "input_cost_per_token" in entry:
            return entry
    return None


def _from_entry(entry: Mapping[str, Any]) -> Price:
    reasoning = entry.get("output_cost_per_reasoning_token")
    return Price(
        input_per_mtok=float(entry["input_cost_per_token"]) * 1_000_000,
        output_per_mtok=float(entry.get("output_cost_per_token", 0.0)) * 1_000_000,
        reasoning_per_mtok=None if reasoning is None else float(reasoning) * 1_000_000,
    )


@functools.lru_cache(maxsize=256)
def _bundled_price(model: str) -> Price | None:
    entry = map_entry(model)
    return None if entry is None else _from_entry(entry)


class PriceBook:
    """Prices per model string: user overrides first, then litellm's bundled map."""

    def __init__(self, overrides: Mapping[str, PriceOverride | Price] | None = None) -> None:
        self._overrides: dict[str, Price] = {}
        for model, given in (overrides or {}).items():
            if isinstance(given, PriceOverride):
                given = Price(given.input_per_mtok, given.output_per_mtok)
            self._overrides[model] = given

    def price(self, model: str) -> Price | None:
        """The model's price, or None when nobody knows it."""
        if model in self._overrides:
            return self._overrides[model]
        return _bundled_price(model)

    def require(self, model: str) -> Price:
        """The model's price; UnknownPriceError (naming the way out) when unknown."""
        found = self.price(model)
        if found is None:
            raise UnknownPriceError(model)
        return found
