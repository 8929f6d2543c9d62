"""forge_llm's plugin registry: factories by category and name, resolved once and then reused."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from .._process_wide import process_wide

__all__ = ["ForgeLLMRegistry", "PluginProtocol", "get_registry", "reset_registry"]

logger = logging.getLogger("sessionforge.compat.forge_llm")


class PluginProtocol(Protocol):
    """A plugin names itself."""

    @property
    def name(self) -> str: ...


class ForgeLLMRegistry:
    """Factories (functions or classes) under ``(category, name)``; :meth:`resolve` builds one once."""

    def __init__(self) -> None:
        self._registry: dict[str, dict[str, Callable[..., Any]]] = {}
        self._instances: dict[tuple[str, str], Any] = {}

    def register(self, category: str, name: str, factory: Callable[..., Any]) -> None:
        self._registry.setdefault(category, {})[name] = factory
        logger.debug("plugin registered: %s/%s", category, name)

    def resolve(self, category: str, name: str, **kwargs: Any) -> Any:
        """The instance for ``(category, name)``, built by its factory on first use.

        Raises ``KeyError`` for an unknown category or name.
        """
        if category not in self._registry:
            raise KeyError(f"Category '{category}' not registered")
        if name not in self._registry[category]:
            raise KeyError(f"Plugin '{name}' not found in category '{category}'")
        key = (category, name)
        if key not in self._instances:
            self._instances[key] = self._registry[category][name](**kwargs)
        return self._instances[key]

    def list_plugins(self, category: str | None = None) -> dict[str, list[str]]:
        if category is not None:
            return {category: list(self._registry.get(category, {}))}
        return {cat: list(plugins) for cat, plugins in self._registry.items()}

    def has_plugin(self, category: str, name: str) -> bool:
        return name in self._registry.get(category, {})

    def clear(self) -> None:
        self._registry.clear()
        self._instances.clear()


get_registry, reset_registry = process_wide(ForgeLLMRegistry)
