from __future__ import annotations

import uuid
import warnings

import pytest

from sessionforge import TokenSummary, TokenUsage
from sessionforge.core.usage import estimate_cost, model_info


def test_prices_come_from_the_registry() -> None:
    info = model_info("gpt-4o-mini")
    assert info is not None
    assert info.provider == "openai"
    assert info.context_window and info.context_window >= 128_000
    cost = estimate_cost("gpt-4o-mini", 1_000_000, 0)
    assert cost == pytest.approx(float(info.input_usd_per_mtok))


def test_claude_price_and_window() -> None:
    info = model_info("claude-3-haiku-20240307", "anthropic")
    assert info is not None
    assert info.context_window == 200_000


def test_unknown_model_costs_none_with_one_warning() -> None:
    model = "no-such-model-" + uuid.uuid4().hex  # a model no other test has warned about in this process
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert estimate_cost(model, 10, 10) is None
        assert estimate_cost(model, 10, 10) is None
    assert len([w for w in caught if model in str(w.message)]) == 1


async def test_usage_from_text_counts_and_prices() -> None:
    usage = await TokenUsage.from_text("What is the capital of France?", "Paris.", model="gpt-4o-mini")
    assert usage.prompt_tokens == await TokenUsage.count_tokens(
        "What is the capital of France?", "gpt-4o-mini"
    )
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.estimated_cost_usd is not None and usage.estimated_cost_usd > 0
    before = usage.estimated_cost_usd
    await usage.update(prompt_tokens=10, completion_tokens=5)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.estimated_cost_usd > before


def test_summary_adds_per_model() -> None:
    summary = TokenSummary()
    summary.add(TokenUsage.of(100, 50, model="gpt-4o-mini"))
    summary.add(TokenUsage.of(10, 5, model="gpt-4o-mini"))
    summary.add(TokenUsage.of(1, 1, model="claude-3-haiku-20240307", provider="anthropic"))
    assert summary.total_tokens == 167
    assert summary.usage_by_model["gpt-4o-mini"].prompt_tokens == 110
    assert summary.total_estimated_cost_usd > 0


@pytest.mark.parametrize(
    ("input_price", "output_price"),
    [
        ("0.150", "0.6"),
        ("2.50", "10"),
        ("3", "15"),
        ("0.0375", "1E+1"),
        ("0.1499999999999999944488848768742172978818416595458984375", "0"),
    ],
)
def test_cost_in_whole_numbers_is_the_exact_decimal_cost(input_price: str, output_price: str) -> None:
    import random
    from decimal import Decimal

    from sessionforge.core.usage import ModelInfo

    info = ModelInfo("m", "p", Decimal(input_price), Decimal(output_price), None)
    rng = random.Random(5)
    for prompt, completion in [
        (0, 0),
        (1, 0),
        (0, 1),
        *((rng.randrange(10**8), rng.randrange(10**6)) for _ in range(2000)),
    ]:
        exact = (Decimal(input_price) * prompt + Decimal(output_price) * completion) / Decimal(1_000_000)
        assert info.cost(prompt, completion) == float(exact)
