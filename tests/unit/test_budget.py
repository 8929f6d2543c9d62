"""Budget arithmetic: the upper-bound estimate, refusals, charging, and resuming stored totals."""

from __future__ import annotations

import warnings

import pytest

from sessionforge import Budget
from sessionforge.core.budget import DEFAULT_ESTIMATED_OUTPUT_TOKENS
from sessionforge.core.usage import TokenUsage, estimate_cost
from sessionforge.errors import BudgetExceededError, UsageError

MODEL = "gpt-4o-mini"


def test_a_call_that_fits_is_allowed_and_changes_nothing() -> None:
    budget = Budget(max_tokens=1_000, max_usd=1.0)
    estimate = budget.check(100, model=MODEL, max_output_tokens=50)
    assert estimate.tokens == 150
    assert estimate.usd == pytest.approx(estimate_cost(MODEL, 100, 50))
    assert budget.spent_tokens == 0 and budget.calls == 0


def test_the_output_bound_defaults_when_the_call_sets_none() -> None:
    assert Budget().estimate(10, model=MODEL).output_tokens == DEFAULT_ESTIMATED_OUTPUT_TOKENS


def test_a_token_refusal_names_spent_limit_and_estimate() -> None:
    budget = Budget(max_tokens=1_000, spent_tokens=900)
    with pytest.raises(BudgetExceededError) as caught:
        budget.check(60, model=MODEL, max_output_tokens=50, session_id="s1")
    error = caught.value
    assert (error.kind, error.spent, error.limit, error.estimated) == ("tokens", 900, 1_000, 110)
    assert "s1" in str(error) and "nothing was sent" in str(error)
    budget.check(50, model=MODEL, max_output_tokens=50)  # exactly at the limit is allowed


def test_a_usd_refusal_names_spent_limit_and_estimate() -> None:
    budget = Budget(max_usd=0.01, spent_usd=0.0099)
    with pytest.raises(BudgetExceededError) as caught:
        budget.check(100_000, model=MODEL, max_output_tokens=1_000)
    error = caught.value
    assert error.kind == "usd" and error.limit == 0.01 and error.spent == pytest.approx(0.0099)
    assert error.estimated == pytest.approx(estimate_cost(MODEL, 100_000, 1_000))


def test_a_usd_budget_on_an_unpriced_model_is_refused_as_misuse() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(UsageError, match="no known price"):
            Budget(max_usd=1.0).check(10, model="no-such-model-xyz")
        Budget(max_tokens=100).check(10, model="no-such-model-xyz", max_output_tokens=10)


def test_charging_adds_reported_usage_and_its_price() -> None:
    budget = Budget()
    usage = TokenUsage.of(1_000, 200, model=MODEL, provider="openai")
    budget.charge(usage)
    budget.charge(usage)
    assert budget.spent_tokens == 2_400 and budget.calls == 2
    assert budget.spent_usd == pytest.approx(2 * (usage.estimated_cost_usd or 0))
    assert budget.remaining_tokens is None and Budget(max_tokens=10).remaining_tokens == 10


def test_resuming_keeps_stored_totals_and_the_limits_given_now() -> None:
    stored = Budget(max_tokens=100, spent_tokens=80, spent_usd=0.5, calls=3).totals()
    resumed = Budget(max_tokens=500).resumed(stored)
    assert (resumed.max_tokens, resumed.spent_tokens, resumed.spent_usd, resumed.calls) == (500, 80, 0.5, 3)
    assert Budget.from_stored(stored) == Budget.model_validate(stored)
    assert Budget.from_stored(None) is None and Budget(max_tokens=5).resumed(None).max_tokens == 5


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        Budget(max_tokens=0)
    with pytest.raises(ValueError, match="greater than 0"):
        Budget(max_usd=-1)
