"""forge_llm's ``OpenAIAdapter``: ``openai`` through sessionforge's provider (see :mod:`._adapter`)."""

from __future__ import annotations

from ._adapter import ProviderAdapter

__all__ = ["OpenAIAdapter"]


class OpenAIAdapter(ProviderAdapter):
    provider_name = "openai"
