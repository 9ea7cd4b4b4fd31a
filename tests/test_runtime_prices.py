"""Prices from litellm's bundled map (read as data) and user overrides."""

from __future__ import annotations

import subprocess
import sys

import pytest

from runtime import Limits, Price, PriceBook, Run, SimulatedModel, UnknownPriceError
from runtime.settings import PriceOverride


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini", "gpt-4o-mini"])
def test_bundled_price_of_a_known_model(model: str) -> None:
    price = PriceBook().require(model)
    assert price.input_per_mtok == pytest.approx(0.15)
    assert price.output_per_mtok == pytest.approx(0.6)


def test_reasoning_tokens_use_their_own_price_where_given() -> None:
    price = PriceBook().require("gemini/gemini-2.5-flash")
    assert price.reasoning_per_mtok is not None
    plain = Price(1.0, 2.0, reasoning_per_mtok=8.0)
    assert plain.cost(1000, 500, reasoning_tokens=200) == pytest.approx(
        (1000 * 1.0 + 300 * 2.0 + 200 * 8.0) / 1e6
    )


def test_overrides_win_and_accept_settings_price_overrides() -> None:
    book = PriceBook({"openai/gpt-4o-mini": PriceOverride(input_per_mtok=1, output_per_mtok=2)})
    assert book.require("openai/gpt-4o-mini") == Price(1.0, 2.0)
    assert PriceBook({"my/model": Price(3.0, 4.0)}).require("my/model").output_per_mtok == 4.0


def test_unknown_price_names_the_model_and_the_way_out() -> None:
    with pytest.raises(UnknownPriceError) as info:
        PriceBook().require("ollama/my-local-llama")
    text = str(info.value)
    assert "ollama/my-local-llama" in text and '"prices"' in text and "input_per_mtok" in text


def test_a_dollar_budget_refuses_an_unpriced_model_before_any_call() -> None:
    with pytest.raises(UnknownPriceError):
        Run(models="ollama/my-local-llama", limits=Limits(max_usd=1.0), simulated=SimulatedModel())
    run = Run(models="ollama/my-local-llama", simulated=SimulatedModel())  # no dollar budget: fine
    res = run.call_sync("draft", [{"role": "user", "content": "hi"}], max_tokens=10)
    assert res.cost_usd is None


def test_reading_prices_does_not_import_litellm() -> None:
    code = (
        "import sys; from runtime import PriceBook; "
        "assert PriceBook().require('openai/gpt-4o-mini'); "
        "assert 'litellm' not in sys.modules, 'litellm imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
