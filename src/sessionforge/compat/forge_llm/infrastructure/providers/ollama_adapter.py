"""forge_llm's ``OllamaAdapter``: ``ollama`` through sessionforge's provider (see :mod:`._adapter`)."""

from __future__ import annotations

from ._adapter import ProviderAdapter

__all__ = ["OllamaAdapter"]


class OllamaAdapter(ProviderAdapter):
    provider_name = "ollama"
