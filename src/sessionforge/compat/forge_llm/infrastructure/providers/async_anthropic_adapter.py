"""forge_llm's ``AsyncAnthropicAdapter``: ``anthropic`` through sessionforge's provider (see :mod:`._adapter`)."""

from __future__ import annotations

from ._adapter import AsyncProviderAdapter

__all__ = ["AsyncAnthropicAdapter"]


class AsyncAnthropicAdapter(AsyncProviderAdapter):
    provider_name = "anthropic"
