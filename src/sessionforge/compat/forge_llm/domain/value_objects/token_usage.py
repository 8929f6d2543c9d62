"""forge_llm's ``TokenUsage``: three positional counts, frozen.

sessionforge's :class:`~sessionforge.core.usage.TokenUsage` is a pydantic model that also carries the
model, its cost and how exact the counts are; :meth:`TokenUsage.to_native` and
:meth:`TokenUsage.from_native` move between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sessionforge.core import usage as native

__all__ = ["TokenUsage"]


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one request: ``TokenUsage(prompt_tokens, completion_tokens, total_tokens)``."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def from_openai(cls, usage: Any) -> TokenUsage:
        """From an OpenAI SDK ``usage`` object."""
        return cls(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)

    @classmethod
    def from_anthropic(cls, usage: Any) -> TokenUsage:
        """From an Anthropic SDK ``usage`` object (``input_tokens``/``output_tokens``)."""
        return cls(usage.input_tokens, usage.output_tokens, usage.input_tokens + usage.output_tokens)

    @classmethod
    def zero(cls) -> TokenUsage:
        return cls(0, 0, 0)

    @classmethod
    def from_native(cls, usage: native.TokenUsage) -> TokenUsage:
        return cls(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)

    def to_native(self, model: str = "", provider: str | None = None) -> native.TokenUsage:
        """sessionforge's usage record, priced for ``model`` when it is given."""
        return native.TokenUsage.of(
            self.prompt_tokens, self.completion_tokens, model=model, provider=provider
        )
