"""Token usage, prices and context windows.

Prices and context windows come from ``genai-prices`` (a maintained registry with its data inside the
wheel, so lookups work offline), never from a table typed by hand. The registry is imported lazily:
it costs about half a second. An unknown model costs ``None`` with a warning, never a crash.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from pydantic import BaseModel, Field, model_validator

from .construct import assemble
from .tokens import DEFAULT_TOKEN_MODEL, Accuracy, counter_for_model

__all__ = [
    "ModelInfo",
    "TokenSummary",
    "TokenUsage",
    "estimate_cost",
    "model_info",
]


@dataclass(frozen=True)
class ModelInfo:
    """What the price registry knows of a model."""

    model: str
    provider: str
    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    context_window: int | None

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """The USD cost of the tokens, the float nearest the exact decimal price (in whole numbers:
        ``int / int`` is correctly rounded, as ``float`` of the exact ``Decimal`` sum is)."""
        if type(prompt_tokens) is not int or type(completion_tokens) is not int:
            total = (
                self.input_usd_per_mtok * prompt_tokens + self.output_usd_per_mtok * completion_tokens
            ) / Decimal(1_000_000)
            return float(total)
        input_units, output_units, per_usd = self._units
        return (input_units * prompt_tokens + output_units * completion_tokens) / per_usd

    @cached_property
    def _units(self) -> tuple[int, int, int]:
        """The two prices as whole numbers of one unit, and that unit's count per USD of a token
        (both prices scaled to their finer decimal place)."""
        places = max(_places(self.input_usd_per_mtok), _places(self.output_usd_per_mtok))
        scale = 10**places
        return (
            int(self.input_usd_per_mtok * scale),
            int(self.output_usd_per_mtok * scale),
            scale * 1_000_000,
        )


def _places(price: Decimal) -> int:
    """Decimal places of a finite price (0 for a whole number)."""
    exponent = price.as_tuple().exponent
    assert isinstance(exponent, int)  # a price is finite
    return max(0, -exponent)


_warned_unknown: set[str] = set()


@lru_cache(maxsize=512)
def model_info(model: str, provider: str | None = None) -> ModelInfo | None:
    """Price and context window of ``model`` from the registry, or ``None`` if it is unknown."""
    from genai_prices import Usage, calc_price  # lazy: the registry takes ~0.5 s to import

    bare = model.split("/", 1)[-1] if provider is None and "/" in model else model
    try:
        kwargs: dict[str, Any] = {"model_ref": bare}
        if provider:
            kwargs["provider_id"] = provider
        calc = calc_price(Usage(input_tokens=1_000_000, output_tokens=1_000_000), **kwargs)
    except (LookupError, ValueError):
        if provider is not None:
            return model_info(model, None)
        return None
    return ModelInfo(
        model=bare,
        provider=calc.provider.id,
        input_usd_per_mtok=Decimal(calc.input_price),
        output_usd_per_mtok=Decimal(calc.output_price),
        context_window=calc.model.context_window,
    )


def estimate_cost(
    model: str | None, prompt_tokens: int, completion_tokens: int, provider: str | None = None
) -> float | None:
    """USD cost of a call, or ``None`` (with one warning per model) when the model has no price."""
    if not model:
        return None
    info = model_info(model, _registry_provider(provider))
    if info is None:
        if model not in _warned_unknown:
            _warned_unknown.add(model)
            warnings.warn(
                f"no price known for model {model!r}: its cost is reported as None",
                stacklevel=2,
            )
        return None
    return info.cost(prompt_tokens, completion_tokens)


def _registry_provider(provider: str | None) -> str | None:
    # Our provider names that the registry knows under the same id; others are looked up by model.
    return provider if provider in {"openai", "anthropic", "google", "mistral", "groq"} else None


class TokenUsage(BaseModel):
    """Tokens used by one event or call, and their estimated cost in USD.

    ``accuracy`` is ``exact`` when the numbers come from the provider's report or an exact tokenizer,
    ``estimated`` otherwise.
    """

    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    total_tokens: int = Field(default=0, ge=0)
    model: str = ""
    provider: str | None = None
    estimated_cost_usd: float | None = None
    accuracy: Accuracy = "exact"

    @model_validator(mode="after")
    def _fill_totals(self) -> TokenUsage:
        self.total_tokens = self.prompt_tokens + self.completion_tokens
        if self.estimated_cost_usd is None and self.model:
            self.estimated_cost_usd = _quiet_cost(
                self.model, self.prompt_tokens, self.completion_tokens, self.provider
            )
        return self

    @classmethod
    def of(
        cls,
        prompt_tokens: int,
        completion_tokens: int,
        *,
        model: str = "",
        provider: str | None = None,
        accuracy: Accuracy = "exact",
    ) -> TokenUsage:
        """Usage with its cost priced from the registry (a warning if the model is unknown).

        Counts from a tokenizer (plain non-negative ints, a model name, a known accuracy) are
        assembled without pydantic's validation pass, which would cost more than the rest of a
        tracked turn; anything else is validated as usual. Both give equal objects (tested).
        """
        fields: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "model": model,
            "provider": provider,
            "estimated_cost_usd": estimate_cost(model, prompt_tokens, completion_tokens, provider)
            if model
            else None,
            "accuracy": accuracy,
        }
        if not (
            type(prompt_tokens) is int
            and type(completion_tokens) is int
            and prompt_tokens >= 0
            and completion_tokens >= 0
            and type(model) is str
            and (provider is None or type(provider) is str)
            and accuracy in ("exact", "estimated")
        ):
            return cls(**fields)
        fields["total_tokens"] = prompt_tokens + completion_tokens
        # As after validation, every field is given or set by the validator. The set is shared: it
        # already holds every field, so marking one set adds nothing, and pydantic's copies copy it.
        return assemble(cls, fields, _EVERY_FIELD)

    @classmethod
    def from_text_sync(
        cls, prompt: str, completion: str | None = None, model: str = DEFAULT_TOKEN_MODEL
    ) -> TokenUsage:
        counter = counter_for_model(model)
        return cls.of(
            counter.count_text(prompt),
            counter.count_text(completion or ""),
            model=model,
            accuracy=counter.accuracy,
        )

    @classmethod
    async def from_text(
        cls, prompt: str, completion: str | None = None, model: str = DEFAULT_TOKEN_MODEL
    ) -> TokenUsage:
        """Count ``prompt`` and ``completion`` with the model's tokenizer and price them."""
        return cls.from_text_sync(prompt, completion, model)

    @staticmethod
    async def count_tokens(text: str | None, model: str = DEFAULT_TOKEN_MODEL) -> int:
        """Tokens of ``text`` for ``model`` (exact for OpenAI models)."""
        return counter_for_model(model).count_text(text or "")

    async def calculate_cost(self) -> float:
        """The USD cost of these tokens for :attr:`model` (0.0 when the model has no known price)."""
        if not self.model:
            return 0.0
        return _quiet_cost(self.model, self.prompt_tokens, self.completion_tokens, self.provider) or 0.0

    def add(self, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.total_tokens = self.prompt_tokens + self.completion_tokens
        if self.model:
            self.estimated_cost_usd = _quiet_cost(
                self.model, self.prompt_tokens, self.completion_tokens, self.provider
            )

    async def update(self, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        """Add tokens to this record and re-price it."""
        self.add(prompt_tokens, completion_tokens)

    def __add__(self, other: TokenUsage) -> TokenUsage:
        cost: float | None
        if self.estimated_cost_usd is None and other.estimated_cost_usd is None:
            cost = None
        else:
            cost = (self.estimated_cost_usd or 0.0) + (other.estimated_cost_usd or 0.0)
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            model=self.model if self.model == other.model else "",
            provider=self.provider if self.provider == other.provider else None,
            estimated_cost_usd=cost,
            accuracy="exact" if self.accuracy == other.accuracy == "exact" else "estimated",
        )


def _quiet_cost(model: str, prompt: int, completion: int, provider: str | None) -> float | None:
    info = model_info(model, _registry_provider(provider))
    return None if info is None else info.cost(prompt, completion)


_EVERY_FIELD: set[str] = set(TokenUsage.model_fields)
"""The fields set of a :meth:`TokenUsage.of` (all of them), one set for all."""


class TokenSummary(BaseModel):
    """Token usage of a session, in total and per model."""

    total_prompt_tokens: int = 0
    total_completion_tokens: int = 0
    total_tokens: int = 0
    total_estimated_cost_usd: float = 0.0
    usage_by_model: dict[str, TokenUsage] = Field(default_factory=dict)

    def add(self, usage: TokenUsage) -> None:
        self.total_prompt_tokens += usage.prompt_tokens
        self.total_completion_tokens += usage.completion_tokens
        self.total_tokens += usage.total_tokens
        self.total_estimated_cost_usd += usage.estimated_cost_usd or 0.0
        key = usage.model or "unknown"
        if key in self.usage_by_model:
            self.usage_by_model[key] = self.usage_by_model[key] + usage
        else:
            self.usage_by_model[key] = usage.model_copy()

    async def add_usage(self, usage: TokenUsage) -> None:
        """Fold one usage record into the summary."""
        self.add(usage)
