"""One-call functions over :class:`SessionManager` (the session-manager spec's "simple API").

Each function records into the default store (or ``store=``) and returns the session id to pass
back in to continue. Continuing an id the store does not know raises :class:`SessionNotFound`
rather than silently starting a new conversation under a different id.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .manager import SessionManager
from .storage.base import Store

__all__ = [
    "get_conversation_history",
    "get_session_stats",
    "quick_conversation",
    "track_conversation",
    "track_infinite_conversation",
    "track_llm_call",
    "track_tool_use",
]


async def track_conversation(
    user_message: str,
    ai_response: str,
    model: str = "gpt-3.5-turbo",
    provider: str = "openai",
    session_id: str | None = None,
    infinite_context: bool = False,
    token_threshold: int = 4000,
    *,
    store: Store | None = None,
) -> str:
    """Record one user message and the reply; returns the session id to continue with."""
    sm = SessionManager(
        session_id=session_id,
        infinite_context=infinite_context,
        token_threshold=token_threshold,
        store=store,
        model=model,
    )
    await sm.user_says(user_message)
    await sm.ai_responds(ai_response, model=model, provider=provider)
    return sm.session_id


async def track_llm_call(
    user_input: str,
    llm_function: Callable[[str], Any],
    model: str = "gpt-3.5-turbo",
    provider: str = "openai",
    session_id: str | None = None,
    infinite_context: bool = False,
    token_threshold: int = 4000,
    *,
    store: Store | None = None,
) -> tuple[Any, str]:
    """Call ``llm_function(user_input)`` (sync or async) and record both sides.

    The user's message is recorded before the call, so a call that fails still leaves the question
    in the session. Returns ``(response, session_id)``.
    """
    sm = SessionManager(
        session_id=session_id,
        infinite_context=infinite_context,
        token_threshold=token_threshold,
        store=store,
        model=model,
    )
    await sm.user_says(user_input)
    response = llm_function(user_input)
    if inspect.isawaitable(response):
        response = await response
    await sm.ai_responds(str(response), model=model, provider=provider)
    return response, sm.session_id


async def quick_conversation(
    user_message: str,
    ai_response: str,
    model: str = "gpt-3.5-turbo",
    provider: str = "openai",
    *,
    store: Store | None = None,
) -> dict[str, Any]:
    """Record one exchange in a new session and return its statistics."""
    sm = SessionManager(store=store, model=model)
    await sm.user_says(user_message)
    await sm.ai_responds(ai_response, model=model, provider=provider)
    return await sm.get_stats()


async def track_infinite_conversation(
    user_message: str,
    ai_response: str,
    session_id: str | None = None,
    model: str = "gpt-3.5-turbo",
    provider: str = "openai",
    token_threshold: int = 4000,
    max_turns: int = 20,
    *,
    store: Store | None = None,
) -> str:
    """Like :func:`track_conversation` with segmentation on; returns the current segment's id."""
    sm = SessionManager(
        session_id=session_id,
        infinite_context=True,
        token_threshold=token_threshold,
        max_turns_per_segment=max_turns,
        store=store,
        model=model,
    )
    await sm.user_says(user_message)
    await sm.ai_responds(ai_response, model=model, provider=provider)
    return sm.session_id


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
    sm = SessionManager(session_id=session_id, store=store)
    await sm.tool_used(tool_name, arguments, result, error=error, **metadata)
    return sm.session_id


async def get_session_stats(
    session_id: str, include_all_segments: bool = False, *, store: Store | None = None
) -> dict[str, Any]:
    """Statistics of a stored session (see :meth:`SessionManager.get_stats`)."""
    return await SessionManager(session_id=session_id, store=store).get_stats(include_all_segments)


async def get_conversation_history(
    session_id: str, include_all_segments: bool = False, *, store: Store | None = None
) -> list[dict[str, Any]]:
    """The user and assistant messages of a stored session, oldest first."""
    sm = SessionManager(session_id=session_id, store=store)
    return await sm.get_conversation(include_all_segments)
