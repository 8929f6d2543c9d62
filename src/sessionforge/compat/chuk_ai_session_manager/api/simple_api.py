"""``chuk_ai_session_manager.api.simple_api``: one call per conversation step.

sessionforge's simple API, with two of chuk-ai-session-manager's ways: the functions that record
accept a ``session_id`` the store does not have and create that session (sessionforge's own refuse
it), and the two that return statistics return :class:`~..models.session_stats.SessionStats`
(readable as attributes and as keys). Reading an unknown session still raises ``SessionNotFound``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from sessionforge.errors import SessionAlreadyExists
from sessionforge.faces import simple_api as native
from sessionforge.faces.simple_api import get_conversation_history
from sessionforge.storage.base import Store
from sessionforge.storage.config import resolve_store
from sessionforge.storage.session import Session

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

P = ParamSpec("P")
R = TypeVar("R")


async def _created(session_id: str | None, store: Store | None) -> None:
    """Create ``session_id`` if the store does not have it (as chuk-ai-session-manager does)."""
    if session_id is None:
        return
    backend = resolve_store(store)
    if not await backend.load(session_id, limit=1):
        with contextlib.suppress(SessionAlreadyExists):  # another writer was first: continue theirs
            await Session.create(session_id=session_id, store=backend)


def _creating(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """The native ``function``, first creating the ``session_id`` it is given if the store lacks it
    (unless the call names a ``session_manager``, whose session it records into)."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    async def mirror(*args: P.args, **kwargs: P.kwargs) -> R:
        given = signature.bind(*args, **kwargs).arguments
        if given.get("session_manager") is None:
            await _created(given.get("session_id"), given.get("store"))
        return await function(*args, **kwargs)

    return mirror


def _stats(function: Callable[P, Awaitable[dict[str, Any]]]) -> Callable[P, Awaitable[SessionStats]]:
    """The native ``function``, its statistics returned as :class:`SessionStats`."""

    @functools.wraps(function)
    async def mirror(*args: P.args, **kwargs: P.kwargs) -> SessionStats:
        return SessionStats.model_validate(await function(*args, **kwargs))

    mirror.__signature__ = inspect.signature(function).replace(return_annotation=SessionStats)  # type: ignore[attr-defined]
    return mirror


track_conversation = _creating(native.track_conversation)
track_llm_call = _creating(native.track_llm_call)
track_infinite_conversation = _creating(native.track_infinite_conversation)
track_tool_use = _creating(native.track_tool_use)
get_session_stats = _stats(native.get_session_stats)
quick_conversation = _stats(native.quick_conversation)

track_llm_interaction = track_llm_call
"""The name chuk-ai-session-manager kept for ``track_llm_call``."""

quick_stats = quick_conversation
"""The name chuk-ai-session-manager kept for ``quick_conversation``."""
