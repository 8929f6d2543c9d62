"""Model providers: which client to build for a provider name.

The wire formats live in :mod:`.openai` and :mod:`.anthropic`; this module only decides which client
(and which server) a name means. OpenAI-compatible servers reuse the Chat Completions adapter with a
preset base URL, so adding one is a line in :data:`OPENAI_COMPATIBLE`.

Two things differ between OpenAI's API and the compatible servers, and are decided here:

* the output cap: OpenAI's API takes ``max_completion_tokens`` (its reasoning models refuse
  ``max_tokens``), the servers take ``max_tokens`` (llama.cpp's ignores the other one). The presets
  send ``max_tokens``; ``provider="openai"`` sends ``max_completion_tokens`` to OpenAI's own hosts and
  ``max_tokens`` to any other ``base_url``. ``max_tokens_field=`` overrides the choice.
* the price: a self-hosted server (a ``local`` preset, or any base URL on this machine or a private
  network) costs 0 unless ``price=`` is given; see :mod:`.pricing`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Unpack

from ..errors import UnknownProviderError
from .base import ChatRequest, ChatResponse, Provider
from .pricing import Price, PriceSetting
from .sdk import ClientSettings

__all__ = [
    "DEFAULT_MODELS",
    "OPENAI_COMPATIBLE",
    "ChatRequest",
    "ChatResponse",
    "ClientSettings",
    "CompatiblePreset",
    "Price",
    "PriceSetting",
    "Provider",
    "create_provider",
]


@dataclass(frozen=True)
class CompatiblePreset:
    """Where an OpenAI-compatible server listens by default and where its key is read from.

    ``local``: the server runs models on the user's own hardware, so its calls cost 0 by default.
    """

    default_base_url: str
    api_key_env: str
    base_url_env: str
    default_api_key: str | None = None
    local: bool = True

    def settings(self) -> dict[str, Any]:
        """The preset as keywords of :class:`~.openai.OpenAIProvider` (its fields are named so)."""
        return asdict(self)


OPENAI_COMPATIBLE: dict[str, CompatiblePreset] = {
    "ollama": CompatiblePreset("http://localhost:11434/v1", "OLLAMA_API_KEY", "OLLAMA_BASE_URL", "ollama"),
    "llamacpp": CompatiblePreset(
        "http://localhost:8080/v1", "LLAMACPP_API_KEY", "LLAMACPP_BASE_URL", "sk-no-key-required"
    ),
    "lmstudio": CompatiblePreset(
        "http://localhost:1234/v1", "LMSTUDIO_API_KEY", "LMSTUDIO_BASE_URL", "lm-studio"
    ),
    "openrouter": CompatiblePreset(
        "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", local=False
    ),
    "vllm": CompatiblePreset("http://localhost:8000/v1", "VLLM_API_KEY", "VLLM_BASE_URL", "EMPTY"),
}

DEFAULT_MODELS: dict[str, str] = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-haiku-20240307",
    "local": "smollm2-135m",
}


def create_provider(
    provider: str, *, max_tokens_field: str | None = None, **client: Unpack[ClientSettings]
) -> Provider:
    """The client for ``provider``: ``openai``, ``anthropic``, ``local``, a preset, or ``openai``
    pointed at any ``base_url``.

    ``client``: the key, base URL, timeout, retries and price (:class:`~.sdk.ClientSettings`; by
    default the registry prices cloud APIs and self-hosted servers cost 0). ``max_tokens_field``:
    the body field of the output cap, when the automatic choice (module docstring) does not suit a
    server.
    """
    name = provider.lower()
    if name == "anthropic":
        from .anthropic import AnthropicProvider

        return AnthropicProvider(**client)
    if name == "local":
        from .local import LocalProvider

        return LocalProvider(price=client.get("price"))
    from .openai import OpenAIProvider

    if name == "openai":
        return OpenAIProvider(max_tokens_field=max_tokens_field, **client)
    preset = OPENAI_COMPATIBLE.get(name)
    if preset is not None:
        return OpenAIProvider(
            name=name, max_tokens_field=max_tokens_field or "max_tokens", **client, **preset.settings()
        )
    known = ", ".join(["openai", "anthropic", "local", *OPENAI_COMPATIBLE])
    raise UnknownProviderError(
        f"unknown provider {provider!r}; use one of {known}, or provider='openai' with base_url= for any "
        "OpenAI-compatible server",
        provider=provider,
    )
