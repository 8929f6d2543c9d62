"""``forge_llm.application.ports``: the provider and tool protocols."""

from .async_provider_port import IAsyncLLMProviderPort
from .provider_port import ILLMProviderPort
from .tool_port import IToolPort

__all__ = ["IAsyncLLMProviderPort", "ILLMProviderPort", "IToolPort"]
