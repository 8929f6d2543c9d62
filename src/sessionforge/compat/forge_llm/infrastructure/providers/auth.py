"""forge_llm's API-key helpers: keys from ``<PROVIDER>_API_KEY`` (or a variable you name)."""

from __future__ import annotations

import os
from typing import Any

from ...domain.entities import ProviderConfig
from ...domain.exceptions import ProviderNotConfiguredError

__all__ = ["create_config", "get_api_key", "require_api_key"]


def get_api_key(provider: str, env_override: str | None = None) -> str | None:
    """The key in ``env_override``, else in ``<PROVIDER>_API_KEY``; ``None`` if unset."""
    return os.environ.get(env_override or f"{provider.upper()}_API_KEY")


def create_config(
    provider: str, model: str | None = None, api_key: str | None = None, **kwargs: Any
) -> ProviderConfig:
    """A ``ProviderConfig`` with the key given or read from the environment."""
    return ProviderConfig(provider=provider, model=model, api_key=api_key or get_api_key(provider), **kwargs)


def require_api_key(provider: str, env_override: str | None = None) -> str:
    """The key, or ``ProviderNotConfiguredError``."""
    key = get_api_key(provider, env_override)
    if not key:
        raise ProviderNotConfiguredError(provider)
    return key
