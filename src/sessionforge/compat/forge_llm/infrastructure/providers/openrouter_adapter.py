"""forge_llm's ``OpenRouterAdapter``: ``openrouter`` through sessionforge's provider (see :mod:`._adapter`)."""

from __future__ import annotations

from ._adapter import ProviderAdapter

__all__ = ["OpenRouterAdapter"]


class OpenRouterAdapter(ProviderAdapter):
    provider_name = "openrouter"
