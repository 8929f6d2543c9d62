"""forge_llm's ``AnthropicAdapter``: ``anthropic`` through sessionforge's provider (see :mod:`._adapter`)."""

from __future__ import annotations

from ._adapter import ProviderAdapter

__all__ = ["AnthropicAdapter"]


class AnthropicAdapter(ProviderAdapter):
    provider_name = "anthropic"
