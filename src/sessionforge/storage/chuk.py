"""The session-manager spec's storage face: ``ChukSessionsStore`` over any :class:`Store`.

The spec's backend is a key-value store of whole sessions; ours is an append-only log per session.
This adapter keeps the spec's four calls (``get``/``save``/``delete``/``list_sessions``) and maps them
onto the log: ``get`` folds it into a :class:`Session`, ``save`` appends only what is new.

``ChatSession`` (the sync face) persists into the same stores through :func:`save_chat_session` and
:func:`load_chat_session`, as ``ChatMessage`` events after the same ``SESSION_META`` create record,
so one store holds both kinds and either can be listed, loaded or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.events import EventType, SessionEvent, chat_message_event
from ..core.messages import ChatMessage
from ..core.session import Session
from ..errors import SessionNotFound, UsageError
from .base import Store

if TYPE_CHECKING:
    from ..chat_session import ChatSession

__all__ = ["ChukSessionsStore", "SessionStorage", "load_chat_session", "save_chat_session"]


def _backend(store: Store | None) -> Store:
    if store is not None:
        return store
    from .config import get_default_store

    return get_default_store()


class ChukSessionsStore:
    """Sessions by id in a :class:`Store` (the default store when ``backend`` is ``None``)."""

    def __init__(self, backend: Store | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> Store:
        """The store, resolved on use so a later ``configure_storage`` is honoured."""
        return _backend(self._backend)

    async def get(self, session_id: str) -> Session | None:
        """The session folded from its log, or ``None`` if the store has no such session."""
        return await Session.load(session_id, self.backend)

    async def save(self, session: Session) -> None:
        """Append the session's unsaved events and metadata changes."""
        if not isinstance(session, Session):
            raise UsageError(
                f"save() expects a Session, got {type(session).__name__}; "
                "get() returns None for an unknown id"
            )
        await session.save(self.backend)

    async def delete(self, session_id: str) -> bool:
        """Delete the session and its log; ``True`` if it existed."""
        return await self.backend.delete(session_id)

    async def list_sessions(self, prefix: str = "") -> list[str]:
        return await self.backend.list_sessions(prefix)

    def __repr__(self) -> str:
        return f"ChukSessionsStore({self._backend!r})"


SessionStorage = ChukSessionsStore
"""The spec imports the storage face under both names; they are one class."""


@dataclass
class _ChatLink:
    """What a ChatSession has in a store: its Session twin and how many messages are stored."""

    twin: Session
    saved: int


_LINK = "_sessionforge_link"  # attribute of a ChatSession holding its _ChatLink


async def save_chat_session(store: Store | None, chat_session: ChatSession) -> None:
    """Persist a ChatSession: the first save writes its create record, each later save only the
    messages added since (its ``history`` is append-only, so an index marks what is stored)."""
    backend = _backend(store)
    link: _ChatLink | None = getattr(chat_session, _LINK, None)
    if link is None or link.twin.store is not backend:
        twin = await Session.load(chat_session.session_id, backend) or Session(id=chat_session.session_id)
        link = _ChatLink(twin, sum(1 for e in twin.events if _is_chat(e)))
        setattr(chat_session, _LINK, link)
    link.twin.metadata.properties.update(
        {
            "face": "chat_session",
            "max_tokens": chat_session.max_tokens,
            "model": chat_session.model,
            "metadata": dict(chat_session.metadata),
        }
    )
    history = chat_session.history
    for message in history[link.saved :]:
        await link.twin.add_event(chat_message_event(message))
    await link.twin.save(backend)
    link.saved = len(history)


async def load_chat_session(store: Store | None, session_id: str, **kwargs: Any) -> ChatSession:
    """Rebuild a ChatSession from its stored messages.

    The view of the loaded session is every stored message in order (a compaction's dropped messages
    included); compact it again if it must fit a budget.
    """
    from ..chat_session import ChatSession

    backend = _backend(store)
    twin = await Session.load(session_id, backend)
    if twin is None:
        raise SessionNotFound(session_id)
    props = twin.metadata.properties
    kwargs.setdefault("max_tokens", props.get("max_tokens"))
    kwargs.setdefault("model", props.get("model"))
    kwargs.setdefault("metadata", props.get("metadata"))
    messages = [e.message for e in twin.events if _is_chat(e)]
    chat = ChatSession.from_dict_list([m.to_dict() for m in messages], session_id=session_id, **kwargs)
    setattr(chat, _LINK, _ChatLink(twin, len(chat.history)))
    return chat


def _is_chat(event: SessionEvent) -> bool:
    return isinstance(event.message, ChatMessage) and event.type in {EventType.MESSAGE, EventType.TOOL_CALL}
