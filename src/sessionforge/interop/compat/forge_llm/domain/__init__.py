"""``forge_llm.domain``: forge_llm's exceptions (entities and value objects are in the subpackages)."""

from .exceptions import (
    AuthenticationError,
    ChatError,
    ContextOverflowError,
    ForgeLLMError,
    InvalidMessageError,
    ProviderError,
    ProviderNotConfiguredError,
    RequestTimeoutError,
    SessionError,
    SessionNotFoundError,
    ToolError,
    ToolNotFoundError,
    ToolValidationError,
    UnsupportedFeatureError,
    UnsupportedProviderError,
)

__all__ = [
    "AuthenticationError",
    "ChatError",
    "ContextOverflowError",
    "ForgeLLMError",
    "InvalidMessageError",
    "ProviderError",
    "ProviderNotConfiguredError",
    "RequestTimeoutError",
    "SessionError",
    "SessionNotFoundError",
    "ToolError",
    "ToolNotFoundError",
    "ToolValidationError",
    "UnsupportedFeatureError",
    "UnsupportedProviderError",
]
