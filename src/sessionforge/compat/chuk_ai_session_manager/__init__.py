"""chuk-ai-session-manager 0.11.2, mirrored over sessionforge: ``from sessionforge.compat.chuk_ai_session_manager import ...``.

Its session model is sessionforge's own: ``Session``, ``SessionEvent``, ``SessionManager``, the simple
API, the exceptions and the storage face are the classes and functions sessionforge itself exports,
which were built to that library's names and calls. What differs (exact token counts, storage in an
append-only log rather than one JSON blob per session, the subsystems not mirrored: guards,
procedural memory, the virtual-memory pager) is listed in ``MIGRATING.md`` with the reasons.

Importing this package changes nothing global: storage is configured on first use (or by
:func:`configure_storage`), not at import.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from sessionforge._meta import is_available as _native_is_available
from sessionforge.faces import simple_api as _native_simple_api
from sessionforge.storage.config import configure_storage, default_store_url

from . import exceptions

# Named in __all__ through sessionforge's list (below); "as" exports them to type checkers.
from .api.simple_api import get_conversation_history as get_conversation_history
from .api.simple_api import get_session_stats as get_session_stats
from .api.simple_api import quick_conversation as quick_conversation
from .api.simple_api import track_conversation as track_conversation
from .api.simple_api import track_infinite_conversation as track_infinite_conversation
from .api.simple_api import track_llm_call as track_llm_call
from .api.simple_api import track_tool_use as track_tool_use
from .config import DEFAULT_TOKEN_MODEL
from .exceptions import *  # noqa: F403
from .infinite_conversation import InfiniteConversationManager, SummarizationStrategy
from .models import (
    EventSource,
    EventType,
    RunStatus,
    Session,
    SessionEvent,
    SessionMetadata,
    SessionRun,
)
from .models.token_usage import TokenSummary, TokenUsage
from .session_aware_tool_processor import SessionAwareToolProcessor
from .session_manager import SessionManager
from .session_prompt_builder import PromptStrategy, build_prompt_from_session, truncate_prompt_to_token_limit
from .session_storage import ChukSessionsStore, SessionStorage, get_backend, setup_chuk_sessions_storage

__version__ = "0.11.2"
"""The chuk-ai-session-manager release whose public API this mirrors."""

__all__ = [
    "DEFAULT_TOKEN_MODEL",
    "ChukSessionsStore",
    "EventSource",
    "EventType",
    "InfiniteConversationManager",
    "PromptStrategy",
    "RunStatus",
    "Session",
    "SessionAwareToolProcessor",
    "SessionEvent",
    "SessionManager",
    "SessionMetadata",
    "SessionRun",
    "SessionStorage",
    "SummarizationStrategy",
    "TokenSummary",
    "TokenUsage",
    "__version__",
    "build_prompt_from_session",
    "configure_storage",
    "get_storage_info",
    "get_version",
    "is_available",
    "setup_chuk_sessions_storage",
    "truncate_prompt_to_token_limit",
]
__all__ += exceptions.__all__
__all__ += _native_simple_api.__all__  # the simple API: the names of sessionforge's own


def get_version() -> str:
    """The chuk-ai-session-manager version this mirrors (sessionforge's own is ``sessionforge.__version__``)."""
    return __version__


def is_available() -> dict[str, bool]:
    """Which components work here, under chuk-ai-session-manager's keys."""
    available = _native_is_available()
    available["redis_support"] = importlib.util.find_spec("redis") is not None
    available["enhanced_token_counting"] = True  # exact OpenAI encodings ship with sessionforge
    return available


def get_storage_info() -> dict[str, Any]:
    """Which store the default is: its URL scheme, class, sandbox (namespace) and statistics."""
    backend = get_backend()
    stats = backend.get_stats()
    return {
        "provider": default_store_url().split("://", 1)[0],
        "backend": stats.backend,
        "sandbox_id": stats.sandbox_id,
        "redis_url": os.getenv("SESSION_REDIS_URL", "not_set"),
        "stats": stats,
    }
