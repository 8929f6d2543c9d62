"""``forge_llm.infrastructure.providers``: dict-in, dict-out adapters over sessionforge's providers."""

from .anthropic_adapter import AnthropicAdapter
from .async_anthropic_adapter import AsyncAnthropicAdapter
from .async_openai_adapter import AsyncOpenAIAdapter
from .ollama_adapter import OllamaAdapter
from .openai_adapter import OpenAIAdapter
from .openrouter_adapter import OpenRouterAdapter
from .registry import ProviderRegistry, get_provider_registry, reset_provider_registry

__all__ = [
    "AnthropicAdapter",
    "AsyncAnthropicAdapter",
    "AsyncOpenAIAdapter",
    "OllamaAdapter",
    "OpenAIAdapter",
    "OpenRouterAdapter",
    "ProviderRegistry",
    "get_provider_registry",
    "reset_provider_registry",
]
