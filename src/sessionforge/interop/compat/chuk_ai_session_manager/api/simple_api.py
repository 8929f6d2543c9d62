"""``chuk_ai_session_manager.api.simple_api``: one call per conversation step.

sessionforge's simple API, with two of chuk-ai-session-manager's ways: the functions that record
accept a ``session_id`` the store does not have and create that session (sessionforge's own refuse
it), and the two that return statistics return :class:`~..models.session_stats.SessionStats`
(readable as attributes and as keys). Reading an unknown session still raises ``SessionNotFound``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from sessionforge.errors import SessionAlreadyExists
from sessionforge.faces import simple_api as native
from sessionforge.faces.manager import SessionManager
from sessionforge.faces.simple_api import get_conversation_history
from sessionforge.storage.base import Store
from sessionforge.storage.config import resolve_store
from sessionforge.storage.session import Session

from ..config import DEFAULT_TOKEN_MODEL
from ..models.session_stats import SessionStats

__all__ = [
    "get_conversation_history",
    "get_session_stats",
    "quick_conversation",
    "quick_stats",
    "track_conversation",
    "track_infinite_conversation",
    "track_llm_call",
    "track_llm_interaction",
    "track_tool_use",
]


async def _created(session_id: str | None, store: Store | None) -> None:
    """Create ``session_id`` if the store does not have it (as chuk-ai-session-manager does)."""
    if session_id is None:
        return
    backend = resolve_store(store)
    if not await backend.load(session_id, limit=1):
        with contextlib.suppress(SessionAlreadyExists):  # another writer was first: continue theirs
            await Session.create(session_id=session_id, store=backend)


async def track_conversation(
    user_message: str,
    ai_response: str,
    model: str = DEFAULT_TOKEN_MODEL,
    provider: str = "openai",
    session_id: str | None = None,
    infinite_context: bool = False,
    token_threshold: int = 4000,
    *,
    store: Store | None = None,
) -> str:
    """Record one user message and the reply; returns the session id to continue with."""
    await _created(session_id, store)
    return await native.track_conversation(
        user_message, ai_response, model, provider, session_id, infinite_context, token_threshold, store=store
    )


async def track_llm_call(
    user_input: str,
    llm_function: Callable[[str], Any],
    model: str = DEFAULT_TOKEN_MODEL,
    provider: str = "openai",
    session_manager: SessionManager | None = None,
    session_id: str | None = None,
    infinite_context: bool = False,
    token_threshold: int = 4000,
    *,
    store: Store | None = None,
) -> tuple[str, str]:
    """Call ``llm_function(user_input)`` (sync or async), record both sides; ``(text, session_id)``."""
    if session_manager is None:
        await _created(session_id, store)
    return await native.track_llm_call(
        user_input,
        llm_function,
        model,
        provider,
        session_manager,
        session_id,
        infinite_context,
        token_threshold,
        store=store,
    )


async def track_infinite_conversation(
    user_message: str,
    ai_response: str,
    model: str = DEFAULT_TOKEN_MODEL,
    provider: str = "openai",
    session_id: str | None = None,
    token_threshold: int = 4000,
    max_turns: int = 20,
    *,
    store: Store | None = None,
    **options: Any,
) -> str:
    """:func:`track_conversation` with segmentation on; returns the current segment's id."""
    await _created(session_id, store)
    return await native.track_infinite_conversation(
        user_message,
        ai_response,
        model,
        provider,
        session_id,
        token_threshold,
        max_turns,
        store=store,
        **options,
    )


async def track_tool_use(
    tool_name: str,
    arguments: dict[str, Any],
    result: Any,
    session_id: str | None = None,
    error: str | None = None,
    *,
    store: Store | None = None,
    **metadata: Any,
) -> str:
    """Record a tool call and its result (or error); returns the session id."""
    await _created(session_id, store)
    return await native.track_tool_use(
        tool_name, arguments, result, session_id, error, store=store, **metadata
    )


async def get_session_stats(
    session_id: str, include_all_segments: bool = False, *, store: Store | None = None
) -> SessionStats:
    """Statistics of a stored session (every segment of an infinite one with ``include_all_segments``)."""
    return SessionStats.model_validate(
        await native.get_session_stats(session_id, include_all_segments, store=store)
    )


async def quick_conversation(
    user_message: str,
    ai_response: str,
    model: str = DEFAULT_TOKEN_MODEL,
    provider: str = "openai",
    infinite_context: bool = False,
    *,
    store: Store | None = None,
) -> SessionStats:
    """Record one exchange in a new session and return its statistics."""
    return SessionStats.model_validate(
        await native.quick_conversation(
            user_message, ai_response, model, provider, infinite_context, store=store
        )
    )


track_llm_interaction = track_llm_call
"""The name chuk-ai-session-manager kept for ``track_llm_call``."""

quick_stats = quick_conversation
"""The name chuk-ai-session-manager kept for ``quick_conversation``."""
