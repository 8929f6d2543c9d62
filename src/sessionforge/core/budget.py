"""Spending limits that travel with a session: tokens and US dollars, checked before every call.

A :class:`Budget` holds two optional limits and two running totals. The totals are what providers
reported (``usage`` of each reply), priced from the registry, so they are the bill, not a guess. The
totals are part of the session: a ``ChatSession`` stores them as a metadata patch on each save and a
``SessionManager`` with each recorded event, both appended to the log (nothing is rewritten), so a
session reopened in another process keeps spending from where it stood.

Refusing happens before a request leaves the process. The cost of a call is not known until it is
made, so the check uses an upper bound: the request's prompt tokens (counted exactly for OpenAI
models) plus the most the reply may use, ``max_output_tokens`` of the call or
:data:`DEFAULT_ESTIMATED_OUTPUT_TOKENS` when the call sets none. A call whose bound would pass a limit
raises :class:`~sessionforge.errors.BudgetExceededError` naming what was spent, the limit and the
estimate; a call that fits is made, and its real usage is what gets added.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, Unpack

from pydantic import BaseModel, ConfigDict, Field

from ..errors import BudgetExceededError, UsageError
from .usage import TokenUsage, estimate_cost

__all__ = ["DEFAULT_ESTIMATED_OUTPUT_TOKENS", "Budget", "CallEstimate", "CallFacts"]

log = logging.getLogger("sessionforge.budget")

DEFAULT_ESTIMATED_OUTPUT_TOKENS = 1024
"""Output tokens assumed for a call that sets no ``max_output_tokens``: a refusal must be decided
before the reply exists, and most chat replies are well under this."""

BUDGET_PROPERTY = "budget"
"""The session property under which the budget (limits and totals) is stored."""


class CallFacts(TypedDict):
    """What prices a model call before it is made: the ``model`` (priced from the registry, with its
    ``provider``), or a ``price`` of ``(prompt, output)`` tokens; and the cap on its reply."""

    model: str | None
    provider: NotRequired[str | None]
    max_output_tokens: NotRequired[int | None]
    price: NotRequired[Callable[[int, int], float] | None]


@dataclass(frozen=True)
class CallEstimate:
    """The most one call may cost: prompt tokens counted, output tokens bounded, priced."""

    prompt_tokens: int
    output_tokens: int
    usd: float | None

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


class Budget(BaseModel):
    """Limits on what a session may spend, and what it has spent so far.

    Args:
        max_tokens: total tokens (prompt + completion, over every call) the session may use.
        max_usd: total cost in USD, priced from the registry.
        spent_tokens, spent_usd: the running totals; start at 0 for a new session.
        calls: how many model calls were charged.

    ``None`` for a limit means that kind is not limited. A USD limit on a model without a known price
    cannot be enforced, so such a call is refused with :class:`~sessionforge.errors.UsageError`
    rather than let through unmetered.
    """

    model_config = ConfigDict(validate_assignment=True)

    max_tokens: int | None = Field(default=None, gt=0)
    max_usd: float | None = Field(default=None, gt=0)
    spent_tokens: int = Field(default=0, ge=0)
    spent_usd: float = Field(default=0.0, ge=0)
    calls: int = Field(default=0, ge=0)

    @property
    def remaining_tokens(self) -> int | None:
        return None if self.max_tokens is None else max(self.max_tokens - self.spent_tokens, 0)

    @property
    def remaining_usd(self) -> float | None:
        return None if self.max_usd is None else max(self.max_usd - self.spent_usd, 0.0)

    def estimate(self, prompt_tokens: int, **call: Unpack[CallFacts]) -> CallEstimate:
        """The upper bound of one call's cost (see the module docstring for how it is bounded).

        ``price`` prices ``(prompt, output)`` tokens when the provider has its own price (a
        self-hosted model's 0, a price given to the agent); the registry prices by model otherwise.
        """
        cap = call.get("max_output_tokens")
        output = cap if cap is not None else DEFAULT_ESTIMATED_OUTPUT_TOKENS
        usd: float | None = None
        if self.max_usd is not None:
            price = call.get("price")
            usd = (
                price(prompt_tokens, output)
                if price
                else estimate_cost(call["model"], prompt_tokens, output, call.get("provider"))
            )
        return CallEstimate(prompt_tokens, output, usd)

    def check(
        self, prompt_tokens: int, *, session_id: str | None = None, **call: Unpack[CallFacts]
    ) -> CallEstimate:
        """Refuse a call whose upper-bound cost would pass a limit; return the estimate otherwise.

        Raises :class:`BudgetExceededError` (``kind`` is ``"tokens"`` or ``"usd"``). Changes nothing.
        """
        estimate = self.estimate(prompt_tokens, **call)
        where = f"session {session_id}" if session_id else "this session"
        if self.max_tokens is not None and self.spent_tokens + estimate.tokens > self.max_tokens:
            log.info(
                "%s: call refused by its token budget (%d + %d > %d)",
                where,
                self.spent_tokens,
                estimate.tokens,
                self.max_tokens,
            )
            raise BudgetExceededError(
                f"{where} has spent {self.spent_tokens} of its {self.max_tokens}-token budget; this "
                f"call could use {estimate.tokens} more ({estimate.prompt_tokens} prompt + up to "
                f"{estimate.output_tokens} output), so nothing was sent. Raise max_tokens, lower "
                "max_output_tokens, or compact the session.",
                kind="tokens",
                spent=self.spent_tokens,
                limit=self.max_tokens,
                estimated=estimate.tokens,
            )
        if self.max_usd is not None:
            if estimate.usd is None:
                raise UsageError(
                    f"{where} has a USD budget but model {call['model']!r} has no known price, so the "
                    "budget cannot be enforced; use a priced model or drop max_usd"
                )
            if self.spent_usd + estimate.usd > self.max_usd:
                log.info(
                    "%s: call refused by its USD budget ($%.6f + $%.6f > $%.6f)",
                    where,
                    self.spent_usd,
                    estimate.usd,
                    self.max_usd,
                )
                raise BudgetExceededError(
                    f"{where} has spent ${self.spent_usd:.6f} of its ${self.max_usd:.6f} budget; this "
                    f"call could cost up to ${estimate.usd:.6f} more, so nothing was sent.",
                    kind="usd",
                    spent=self.spent_usd,
                    limit=self.max_usd,
                    estimated=estimate.usd,
                )
        return estimate

    def charge(self, usage: TokenUsage) -> None:
        """Add one call's reported usage (an unpriced model adds tokens only)."""
        self.spent_tokens += usage.total_tokens
        self.spent_usd += usage.estimated_cost_usd or 0.0
        self.calls += 1

    def totals(self) -> dict[str, Any]:
        """What is persisted: the limits and the totals, as JSON."""
        return self.model_dump(mode="json")

    def resumed(self, stored: dict[str, Any] | None) -> Budget:
        """This budget's limits with the totals of a stored budget (the spending carries on; the
        limits given now win over the stored ones, so reopening with a higher limit raises it)."""
        if not stored:
            return self
        previous = Budget.model_validate(stored)
        return self.model_copy(
            update={
                "spent_tokens": previous.spent_tokens,
                "spent_usd": previous.spent_usd,
                "calls": previous.calls,
            }
        )

    @classmethod
    def from_stored(cls, stored: Any) -> Budget | None:
        """The budget stored with a session, or ``None`` if it has none."""
        return cls.model_validate(stored) if isinstance(stored, dict) else None
