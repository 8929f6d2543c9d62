"""``InfiniteConversationManager``: the session-manager spec's infinite-context face.

One object serves many conversations: each call names the session it continues and gets back the id
of the segment the conversation is now in, which the caller passes to the next call. Segmentation
itself is :class:`~sessionforge.faces.manager.SessionManager`'s (and through it
:mod:`sessionforge.context.segments`): this class keeps a manager per live conversation and adds
what the spec asks on top, namely a per-call ``llm_callback`` that writes the summary, a context
builder for the next model call, and the chain as ``Session`` objects. So a conversation recorded
here, with ``SessionManager(infinite_context=True)`` or with ``track_infinite_conversation`` is
segmented, summarized and stored the same way, and any of them can continue it.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any, Final

from ..context.summarize import LLMCallback, SummarizationStrategy, Summarizer
from ..core.events import EventSource, EventType, SessionEvent
from ..core.messages import ChatMessage
from ..core.projection import SUMMARY_LABEL
from ..core.tokens import DEFAULT_TOKEN_MODEL
from ..errors import SessionAlreadyExists, SessionNotFound, UsageError
from ..providers.openai import message_to_wire
from ..storage.base import Store
from ..storage.config import resolve_store
from ..storage.session import Session
from .manager import SessionManager

__all__ = ["InfiniteConversationManager"]

_KEPT = 64


class InfiniteConversationManager:
    """Records conversations that outgrow any context window as chains of summarized segments.

    Args:
        token_threshold / max_turns_per_segment: when a segment is full (tokens it holds, or user
            turns); checked before each user message, so a question and its answer share a segment.
        summarization_strategy: what each segment's opening summary keeps.
        store: where sessions live; the default store (looked up at first use) otherwise.
        summarizer: writes summaries when a call passes no ``llm_callback``: a sync or async
            callable from a summarization request (``list[ChatMessage]``) to text; the extractive
            summarizer (no model call) by default.
    """

    def __init__(
        self,
        token_threshold: int = 4000,
        max_turns_per_segment: int = 20,
        summarization_strategy: SummarizationStrategy | str = SummarizationStrategy.BASIC,
        store: Store | None = None,
        summarizer: Summarizer | None = None,
    ) -> None:
        if token_threshold < 1 or max_turns_per_segment < 1:
            raise UsageError("token_threshold and max_turns_per_segment must be at least 1")
        # Read-only: the managers kept for live conversations were built with these settings.
        self.token_threshold: Final = token_threshold
        self.max_turns_per_segment: Final = max_turns_per_segment
        self.summarization_strategy: Final = SummarizationStrategy(summarization_strategy)
        self._summarizer = summarizer
        self._store = store
        # Managers of recently used conversations, by current segment id: a call that continues one
        # appends to it without reloading its history.
        self._kept: OrderedDict[str, SessionManager] = OrderedDict()

    async def process_message(
        self,
        session_id: str,
        message: str,
        source: EventSource,
        llm_callback: LLMCallback | None = None,
        model: str = DEFAULT_TOKEN_MODEL,
    ) -> str:
        """Record ``message`` from ``source``; returns the id of the segment the conversation is in.

        The session is created under ``session_id`` if the store has none. Before a user message, a
        full segment is closed and the conversation continues in a child session that opens with a
        summary written by ``llm_callback`` (OpenAI-style message dicts in, text out; sync or async)
        or, without one, by this manager's summarizer. ``model`` counts and prices the message and
        the summary.
        """
        sm = await self._manager(session_id, create=True)
        sm.model = model
        source = EventSource(source)
        if source == EventSource.USER:
            await sm.segment_if_full(llm_callback=llm_callback)
            await sm.user_says(message)
        elif source == EventSource.LLM:
            await sm.ai_responds(message, model=model)
        else:
            await sm.record_event(SessionEvent(source=source, type=EventType.MESSAGE, message=message))
        return self._keep(sm)

    async def build_context_for_llm(
        self, session_id: str, max_messages: int = 10, include_summaries: bool = True
    ) -> list[dict[str, Any]]:
        """The messages for the next model call, as OpenAI-style dicts.

        The stored system prompt (if any), then the summary the current segment opens with (when
        ``include_summaries``; it covers every earlier segment, as each summary folds in the one
        before), then the segment's last ``max_messages`` messages. A tool result is never kept
        without the call it answers.
        """
        sm = await self._manager(session_id, create=False)
        summary: ChatMessage | None = None
        dialogue: list[ChatMessage] = []
        for message in await sm.get_messages(include_system=False):  # compaction records applied
            if message.role == "system" and message.text.startswith(SUMMARY_LABEL):
                summary = message
            else:
                dialogue.append(message)
        window = dialogue[-max_messages:] if max_messages > 0 else []
        while window and window[0].role == "tool":
            window.pop(0)
        out: list[ChatMessage] = []
        if sm.system_prompt:
            out.append(ChatMessage.system(sm.system_prompt))
        if include_summaries and summary is not None:
            out.append(summary)
        out.extend(window)
        self._keep(sm)
        return [message_to_wire(m) for m in out]

    async def get_session_chain(self, session_id: str) -> list[Session]:
        """The sessions of the conversation, root first, ``session_id``'s segment last."""
        sm = await self._manager(session_id, create=False)
        chain = await sm.get_segments()
        self._keep(sm)
        return chain

    async def get_full_conversation_history(self, session_id: str) -> list[dict[str, Any]]:
        """Every user and assistant message of every segment, oldest first, as
        ``{"role", "content", "timestamp"}`` (the shape of ``SessionManager.get_conversation``)."""
        sm = await self._manager(session_id, create=False)
        history = await sm.get_conversation(include_all_segments=True)
        self._keep(sm)
        return history

    # ---- internals ------------------------------------------------------------------------------

    def _backend(self) -> Store:
        return resolve_store(self._store)

    async def _manager(self, session_id: str, *, create: bool) -> SessionManager:
        """The kept manager of ``session_id`` brought up to date, or a new one over the stored session."""
        backend = self._backend()
        sm = self._kept.pop(session_id, None)
        if sm is not None:
            try:
                await sm.refresh()
                return sm
            except SessionNotFound:
                if not create:
                    raise
        if create and not await backend.load(session_id, limit=1):
            with contextlib.suppress(SessionAlreadyExists):  # another writer was first: continue theirs
                await Session.create(session_id=session_id, store=backend)
        return SessionManager(
            session_id=session_id,
            store=backend,
            infinite_context=True,
            token_threshold=self.token_threshold,
            max_turns_per_segment=self.max_turns_per_segment,
            summarization_strategy=self.summarization_strategy,
            summarizer=self._summarizer,
        )

    def _keep(self, sm: SessionManager) -> str:
        self._kept[sm.session_id] = sm
        while len(self._kept) > _KEPT:
            self._kept.popitem(last=False)
        return sm.session_id

    def __repr__(self) -> str:
        return (
            f"InfiniteConversationManager(token_threshold={self.token_threshold}, "
            f"max_turns_per_segment={self.max_turns_per_segment}, "
            f"summarization_strategy={self.summarization_strategy.value})"
        )
