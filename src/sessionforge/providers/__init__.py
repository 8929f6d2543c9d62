"""Model providers: which client to build for a provider name.

The wire formats live in :mod:`.openai` and :mod:`.anthropic`; this module only decides which client
(and which server) a name means. OpenAI-compatible servers reuse the Chat Completions adapter with a
preset base URL, so adding one is a line in :data:`OPENAI_COMPATIBLE`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnknownProviderError
from .base import ChatRequest, ChatResponse, Provider

__all__ = [
    "DEFAULT_MODELS",
    "OPENAI_COMPATIBLE",
    "ChatRequest",
    "ChatResponse",
    "CompatiblePreset",
    "Provider",
    "create_provider",
]


@dataclass(frozen=True)
class CompatiblePreset:
    """Where an OpenAI-compatible server listens by default and where its key is read from."""

    base_url: str
    api_key_env: str
    base_url_env: str
    default_api_key: str | None = None


OPENAI_COMPATIBLE: dict[str, CompatiblePreset] = {
    "ollama": CompatiblePreset("http://localhost:11434/v1", "OLLAMA_API_KEY", "OLLAMA_BASE_URL", "ollama"),
    "openrouter": CompatiblePreset(
        "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"
    ),
    "vllm": CompatiblePreset("http://localhost:8000/v1", "VLLM_API_KEY", "VLLM_BASE_URL", "EMPTY"),
}

DEFAULT_MODELS: dict[str, str] = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-haiku-20240307",
    "local": "smollm2-135m",
}


def create_provider(
    provider: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    max_retries: int = 2,
) -> Provider:
    """The client for ``provider``: ``openai``, ``anthropic``, ``local``, a preset, or ``openai``
    pointed at any ``base_url``."""
    name = provider.lower()
    if name == "anthropic":
        from .anthropic import AnthropicProvider

        return AnthropicProvider(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
    if name == "local":
        from .local import LocalProvider

        return LocalProvider()
    from .openai import OpenAIProvider

    if name == "openai":
        return OpenAIProvider(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
    preset = OPENAI_COMPATIBLE.get(name)
    if preset is not None:
        return OpenAIProvider(
            name=name,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            api_key_env=preset.api_key_env,
            base_url_env=preset.base_url_env,
            default_base_url=preset.base_url,
            default_api_key=preset.default_api_key,
            max_tokens_field="max_tokens",
        )
    known = ", ".join(["openai", "anthropic", "local", *OPENAI_COMPATIBLE])
    raise UnknownProviderError(
        f"unknown provider {provider!r}; use one of {known}, or provider='openai' with base_url= for any "
        "OpenAI-compatible server",
        provider=provider,
    )
