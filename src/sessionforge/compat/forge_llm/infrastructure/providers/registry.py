"""forge_llm's provider registry: adapter factories by provider name."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..._process_wide import process_wide
from ...application.ports import ILLMProviderPort
from ...domain.entities import ProviderConfig
from ...domain.exceptions import UnsupportedProviderError

__all__ = ["ProviderFactory", "ProviderRegistry", "get_provider_registry", "reset_provider_registry"]

logger = logging.getLogger("sessionforge.compat.forge_llm")

ProviderFactory = Callable[[ProviderConfig], ILLMProviderPort]


class ProviderRegistry:
    """Factories by provider name; :meth:`resolve` makes one adapter per name and key."""

    def __init__(self) -> None:
        self._factories: dict[str, ProviderFactory] = {}
        self._instances: dict[str, ILLMProviderPort] = {}

    def register(self, name: str, factory: ProviderFactory) -> None:
        self._factories[name] = factory
        logger.debug("provider registered: %s", name)

    def resolve(self, name: str, config: ProviderConfig) -> ILLMProviderPort:
        """The adapter for ``name`` and ``config``'s key; ``UnsupportedProviderError`` if unknown."""
        if name not in self._factories:
            raise UnsupportedProviderError(name)
        key = f"{name}:{config.api_key or 'default'}"
        if key not in self._instances:
            self._instances[key] = self._factories[name](config)
        return self._instances[key]

    def has_provider(self, name: str) -> bool:
        return name in self._factories

    def list_providers(self) -> list[str]:
        return list(self._factories)

    def get_provider_info(self, name: str) -> dict[str, Any]:
        """``{"name", "models"}`` (the models a factory lists in ``SUPPORTED_MODELS``)."""
        if name not in self._factories:
            raise UnsupportedProviderError(name)
        return {"name": name, "models": list(getattr(self._factories[name], "SUPPORTED_MODELS", []))}

    def list_providers_with_models(self) -> dict[str, dict[str, Any]]:
        return {name: self.get_provider_info(name) for name in self._factories}

    def clear(self) -> None:
        self._factories.clear()
        self._instances.clear()


get_provider_registry, reset_provider_registry = process_wide(ProviderRegistry)
