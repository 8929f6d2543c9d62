"""forge_llm's ``AsyncOpenAIAdapter``: ``openai`` through sessionforge's provider (see :mod:`._adapter`)."""

from __future__ import annotations

from ._adapter import AsyncProviderAdapter

__all__ = ["AsyncOpenAIAdapter"]


class AsyncOpenAIAdapter(AsyncProviderAdapter):
    provider_name = "openai"
