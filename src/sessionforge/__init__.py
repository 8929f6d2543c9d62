"""sessionforge: conversation sessions for LLM applications.

Every public name of both faces (the sync ``ChatAgent``/``ChatSession`` and the async
``SessionManager`` family) is importable from here. Names load lazily from the module that defines
them, so ``import sessionforge`` stays fast and an optional extra is imported only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._meta import get_version as get_version
from ._meta import is_available as is_available

__version__: str  # read from the installed metadata on first use: importlib.metadata costs ~30 ms

# name -> module that defines it (relative to this package)
_EXPORTS: dict[str, str] = {
    # faces
    "AsyncChatAgent": ".faces.agent",
    "Budget": ".core.budget",
    "ChatAgent": ".faces.agent",
    "ChatResponse": ".providers.types",
    "ChatSession": ".faces.chat_session",
    "CompactionReport": ".faces.chat_session",
    "InfiniteConversationManager": ".faces.infinite",
    "SessionManager": ".faces.manager",
    # simple API
    "get_conversation_history": ".faces.simple_api",
    "get_session_stats": ".faces.simple_api",
    "quick_conversation": ".faces.simple_api",
    "track_conversation": ".faces.simple_api",
    "track_infinite_conversation": ".faces.simple_api",
    "track_llm_call": ".faces.simple_api",
    "track_tool_use": ".faces.simple_api",
    # core models
    "AudioPart": ".core.messages",
    "ChatMessage": ".core.messages",
    "ImagePart": ".core.messages",
    "TextPart": ".core.messages",
    "ToolCall": ".core.messages",
    "EventSource": ".core.events",
    "EventType": ".core.events",
    "SessionEvent": ".core.events",
    "RunStatus": ".core.session",
    "Session": ".storage.session",
    "SessionMetadata": ".core.session",
    "SessionRun": ".core.session",
    "TokenSummary": ".core.usage",
    "TokenUsage": ".core.usage",
    "TokenCounter": ".core.tokens",
    "counter_for_model": ".core.tokens",
    # context
    "Compactor": ".context.compactors",
    "SlidingWindowCompactor": ".context.compactors",
    "TruncateCompactor": ".context.compactors",
    "SummarizeCompactor": ".context.summarizing",
    "ToolOutputPruningCompactor": ".context.summarizing",
    "SummarizationStrategy": ".context.summarize",
    "PromptStrategy": ".context.prompts",
    "build_prompt_from_session": ".context.prompts",
    "truncate_prompt_to_token_limit": ".context.prompts",
    # tools
    "SessionAwareToolProcessor": ".tools.processor",
    "ToolPolicy": ".tools.runner",
    "ToolRegistry": ".tools.registry",
    # storage
    "ChukSessionsStore": ".storage.chuk",
    "SessionStorage": ".storage.chuk",
    "configure_storage": ".storage.config",
    "setup_chuk_sessions_storage": ".storage.config",
    "Store": ".storage.base",
    "open_store": ".storage.config",
    # errors
    "AuthenticationError": ".errors",
    "BadRequestError": ".errors",
    "BudgetExceededError": ".errors",
    "ConcurrencyConflictError": ".errors",
    "ConfigurationError": ".errors",
    "ContextLengthExceededError": ".errors",
    "ContextOverflowError": ".errors",
    "CorruptRecordError": ".errors",
    "InvalidSessionOperation": ".errors",
    "MessageFormatError": ".errors",
    "MissingAPIKeyError": ".errors",
    "MissingDependencyError": ".errors",
    "ModelNotFoundError": ".errors",
    "ProviderConnectionError": ".errors",
    "ProviderError": ".errors",
    "ProviderTimeoutError": ".errors",
    "RateLimitError": ".errors",
    "RecordFormatError": ".errors",
    "ServerError": ".errors",
    "SessionAlreadyExists": ".errors",
    "SessionManagerError": ".errors",
    "SessionNotFound": ".errors",
    "SessionforgeError": ".errors",
    "StorageError": ".errors",
    "StoreUnavailableError": ".errors",
    "TokenLimitExceeded": ".errors",
    "ToolPairingError": ".errors",
    "ToolProcessingError": ".errors",
    "UnknownModelError": ".errors",
    "UnknownProviderError": ".errors",
    "UnsupportedFeatureError": ".errors",
    "UsageError": ".errors",
}

__all__ = [
    "AsyncChatAgent",
    "AudioPart",
    "AuthenticationError",
    "BadRequestError",
    "Budget",
    "BudgetExceededError",
    "ChatAgent",
    "ChatMessage",
    "ChatResponse",
    "ChatSession",
    "ChukSessionsStore",
    "CompactionReport",
    "Compactor",
    "ConcurrencyConflictError",
    "ConfigurationError",
    "ContextLengthExceededError",
    "ContextOverflowError",
    "CorruptRecordError",
    "EventSource",
    "EventType",
    "ImagePart",
    "InfiniteConversationManager",
    "InvalidSessionOperation",
    "MessageFormatError",
    "MissingAPIKeyError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "PromptStrategy",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeoutError",
    "RateLimitError",
    "RecordFormatError",
    "RunStatus",
    "ServerError",
    "Session",
    "SessionAlreadyExists",
    "SessionAwareToolProcessor",
    "SessionEvent",
    "SessionManager",
    "SessionManagerError",
    "SessionMetadata",
    "SessionNotFound",
    "SessionRun",
    "SessionStorage",
    "SessionforgeError",
    "SlidingWindowCompactor",
    "StorageError",
    "Store",
    "StoreUnavailableError",
    "SummarizationStrategy",
    "SummarizeCompactor",
    "TextPart",
    "TokenCounter",
    "TokenLimitExceeded",
    "TokenSummary",
    "TokenUsage",
    "ToolCall",
    "ToolOutputPruningCompactor",
    "ToolPairingError",
    "ToolPolicy",
    "ToolProcessingError",
    "ToolRegistry",
    "TruncateCompactor",
    "UnknownModelError",
    "UnknownProviderError",
    "UnsupportedFeatureError",
    "UsageError",
    "__version__",
    "build_prompt_from_session",
    "configure_storage",
    "counter_for_model",
    "get_conversation_history",
    "get_session_stats",
    "get_version",
    "is_available",
    "open_store",
    "quick_conversation",
    "setup_chuk_sessions_storage",
    "track_conversation",
    "track_infinite_conversation",
    "track_llm_call",
    "track_tool_use",
    "truncate_prompt_to_token_limit",
]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if name == "__version__":
        value: Any = get_version()
    elif module_name is None:
        raise AttributeError(f"module 'sessionforge' has no attribute {name!r}")
    else:
        value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # the lazy names, as users' type checkers see them
    from .context.compactors import Compactor, SlidingWindowCompactor, TruncateCompactor
    from .context.prompts import PromptStrategy, build_prompt_from_session, truncate_prompt_to_token_limit
    from .context.summarize import SummarizationStrategy
    from .context.summarizing import SummarizeCompactor, ToolOutputPruningCompactor
    from .core.budget import Budget
    from .core.events import EventSource, EventType, SessionEvent
    from .core.messages import AudioPart, ChatMessage, ImagePart, TextPart, ToolCall
    from .core.session import RunStatus, SessionMetadata, SessionRun
    from .core.tokens import TokenCounter, counter_for_model
    from .core.usage import TokenSummary, TokenUsage
    from .errors import (
        AuthenticationError,
        BadRequestError,
        BudgetExceededError,
        ConcurrencyConflictError,
        ConfigurationError,
        ContextLengthExceededError,
        ContextOverflowError,
        CorruptRecordError,
        InvalidSessionOperation,
        MessageFormatError,
        MissingAPIKeyError,
        MissingDependencyError,
        ModelNotFoundError,
        ProviderConnectionError,
        ProviderError,
        ProviderTimeoutError,
        RateLimitError,
        RecordFormatError,
        ServerError,
        SessionAlreadyExists,
        SessionforgeError,
        SessionManagerError,
        SessionNotFound,
        StorageError,
        StoreUnavailableError,
        TokenLimitExceeded,
        ToolPairingError,
        ToolProcessingError,
        UnknownModelError,
        UnknownProviderError,
        UnsupportedFeatureError,
        UsageError,
    )
    from .faces.agent import AsyncChatAgent, ChatAgent
    from .faces.chat_session import ChatSession, CompactionReport
    from .faces.infinite import InfiniteConversationManager
    from .faces.manager import SessionManager
    from .faces.simple_api import (
        get_conversation_history,
        get_session_stats,
        quick_conversation,
        track_conversation,
        track_infinite_conversation,
        track_llm_call,
        track_tool_use,
    )
    from .providers.types import ChatResponse
    from .storage.base import Store
    from .storage.chuk import ChukSessionsStore, SessionStorage
    from .storage.config import configure_storage, open_store, setup_chuk_sessions_storage
    from .storage.session import Session
    from .tools.processor import SessionAwareToolProcessor
    from .tools.registry import ToolRegistry
    from .tools.runner import ToolPolicy
