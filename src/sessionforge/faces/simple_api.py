"""One-call functions over :class:`SessionManager` (the session-manager spec's "simple API").

Each function records into the default store (or ``store=``) and returns the session id to pass
back in to continue. Continuing an id the store does not know raises :class:`SessionNotFound`
rather than silently starting a new conversation under a different id.

The functions are stateless for the caller, but a call that continues a session should not reload
its whole history: the managers of recently used sessions are kept (a small LRU per store) and
brought up to date with :meth:`SessionManager.refresh`, which reads only the records appended
since. What another process wrote is therefore seen, and a call costs the same at turn 10 and at
turn 10,000.
"""

from __future__ import annotations

import inspect
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..context.summarize import LLMCallback, SummarizationStrategy
from ..core.tokens import DEFAULT_TOKEN_MODEL
from ..storage.base import Store
from ..storage.config import resolve_store
from .manager import SessionManager

__all__ = [
    "get_conversation_history",
    "get_session_stats",
    "quick_conversation",
    "track_conversation",
    "track_infinite_conversation",
    "track_llm_call",
    "track_tool_use",
]

_KEPT_PER_STORE = 64
_Key = tuple[str, bool, int, int]  # session id and the segmentation settings
_kept: weakref.WeakKeyDictionary[Store, OrderedDict[_Key, SessionManager]] = weakref.WeakKeyDictionary()


async def _manager(
    session_id: str | None,
    store: Store | None,
    *,
    infinite_context: bool = False,
    token_threshold: int = 4000,
    max_turns: int = 20,
    model: str = DEFAULT_TOKEN_MODEL,
) -> SessionManager:
    """A kept manager for ``session_id`` brought up to date, or a new one."""
    backend = resolve_store(store)
    if session_id is not None:
        kept = _kept.setdefault(backend, OrderedDict())
        sm = kept.pop((session_id, infinite_context, token_threshold, max_turns), None)
        if sm is not None:
            await sm.refresh()  # SessionNotFound if it was deleted meanwhile
            return sm
    return SessionManager(
        session_id=session_id,
        store=backend,
        infinite_context=infinite_context,
        token_threshold=token_threshold,
        max_turns_per_segment=max_turns,
        model=model,
    )


def _keep(sm: SessionManager, store: Store | None) -> str:
    """Keep ``sm`` for the next call on its (current) session; returns that session's id."""
    kept = _kept.setdefault(resolve_store(store), OrderedDict())
    kept[(sm.session_id, sm.is_infinite, sm.token_threshold, sm.max_turns_per_segment)] = sm
    while len(kept) > _KEPT_PER_STORE:
        kept.popitem(last=False)
    return sm.session_id


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
    sm = await _manager(
        session_id, store, infinite_context=infinite_context, token_threshold=token_threshold, model=model
    )
    await sm.user_says(user_message)
    await sm.ai_responds(ai_response, model=model, provider=provider)
    return _keep(sm, store)


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
    """Call ``llm_function(user_input)`` (sync or async) and record both sides.

    The user's message is recorded before the call, so a call that fails still leaves the question
    in the session. The reply's text is read from what the function returns: a string, an OpenAI
    response dict (``choices[0].message.content``), or an object with ``.content``. Returns
    ``(response_text, session_id)``. With ``session_manager`` the exchange goes into that manager's
    session.
    """
    sm = session_manager or await _manager(
        session_id, store, infinite_context=infinite_context, token_threshold=token_threshold, model=model
    )
    await sm.user_says(user_input)
    response = llm_function(user_input)
    if inspect.isawaitable(response):
        response = await response
    text = _response_text(response)
    await sm.ai_responds(text, model=model, provider=provider)
    return text, sm.session_id if session_manager is not None else _keep(sm, store)


def _response_text(response: Any) -> str:
    """The text of an LLM function's answer: a string, an OpenAI response dict, or ``.content``."""
    if isinstance(response, dict) and response.get("choices"):
        try:
            return str(response["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError):
            return str(response)
    content = getattr(response, "content", None)
    if content is not None and not isinstance(response, str):
        return str(content)
    return str(response)


async def quick_conversation(
    user_message: str,
    ai_response: str,
    model: str = DEFAULT_TOKEN_MODEL,
    provider: str = "openai",
    infinite_context: bool = False,
    *,
    store: Store | None = None,
) -> dict[str, Any]:
    """Record one exchange in a new session and return its statistics."""
    sm = await _manager(None, store, infinite_context=infinite_context, model=model)
    await sm.user_says(user_message)
    await sm.ai_responds(ai_response, model=model, provider=provider)
    _keep(sm, store)
    return await sm.get_stats()


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
    summarization_strategy: SummarizationStrategy | str = SummarizationStrategy.BASIC,
    llm_callback: LLMCallback | None = None,
) -> str:
    """Like :func:`track_conversation` with segmentation on; returns the current segment's id.

    When a segment is full, its summary is written by ``llm_callback`` (OpenAI-style message dicts
    in, text out; sync or async) following ``summarization_strategy``, or extractively without one.
    """
    sm = await _manager(
        session_id,
        store,
        infinite_context=True,
        token_threshold=token_threshold,
        max_turns=max_turns,
        model=model,
    )
    sm.model = model
    sm.summarization_strategy = summarization_strategy
    await sm.segment_if_full(llm_callback=llm_callback)
    await sm.user_says(user_message)
    await sm.ai_responds(ai_response, model=model, provider=provider)
    return _keep(sm, store)


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
    sm = await _manager(session_id, store)
    await sm.tool_used(tool_name, arguments, result, error=error, **metadata)
    return _keep(sm, store)


async def get_session_stats(
    session_id: str, include_all_segments: bool = False, *, store: Store | None = None
) -> dict[str, Any]:
    """Statistics of a stored session (see :meth:`SessionManager.get_stats`)."""
    sm = await _manager(session_id, store)
    stats = await sm.get_stats(include_all_segments)
    _keep(sm, store)
    return stats


async def get_conversation_history(
    session_id: str, include_all_segments: bool = False, *, store: Store | None = None
) -> list[dict[str, Any]]:
    """The user and assistant messages of a stored session, oldest first."""
    sm = await _manager(session_id, store)
    history = await sm.get_conversation(include_all_segments)
    _keep(sm, store)
    return history
