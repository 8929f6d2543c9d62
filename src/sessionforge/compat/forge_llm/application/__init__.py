"""``forge_llm.application``: the plugin registry (agents, ports, sessions and tools are subpackages)."""

from .registry import ForgeLLMRegistry, get_registry, reset_registry

__all__ = ["ForgeLLMRegistry", "get_registry", "reset_registry"]
