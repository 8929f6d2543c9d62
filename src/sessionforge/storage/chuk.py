"""The session-manager spec's storage face: ``ChukSessionsStore`` over any :class:`Store`.

The spec's backend is a key-value store of whole sessions; ours is an append-only log per session.
This adapter keeps the spec's four calls (``get``/``save``/``delete``/``list_sessions``) and maps them
onto the log: ``get`` folds it into a :class:`Session`, ``save`` appends only what is new.

``ChatSession`` (the sync face) persists into the same stores through :func:`save_chat_session` and
:func:`load_chat_session`, as ``ChatMessage`` events after the same ``SESSION_META`` create record,
so one store holds both kinds and either can be listed, loaded or deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.budget import BUDGET_PROPERTY, Budget
from ..core.events import EventSource, EventType, SessionEvent, chat_message_event
from ..core.messages import ChatMessage
from ..core.session import Session
from ..core.views import CompactionRecord, ViewReplay
from ..errors import SessionNotFound, UsageError
from .base import Store

if TYPE_CHECKING:
    from ..faces.chat_session import ChatSession, CompactionReport

__all__ = [
    "ChukSessionsStore",
    "SessionStorage",
    "fork_chat_session",
    "load_chat_session",
    "save_chat_session",
]


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
    """What a ChatSession has in a store: its Session twin, how many messages and compaction reports
    are stored, the event id of each stored message, and the view the stored log replays to."""

    twin: Session
    saved: int
    reports: int = 0
    ids: dict[int, str] = field(default_factory=dict)  # id(message) -> event id (history keeps them alive)
    replay: ViewReplay = field(default_factory=ViewReplay)


_LINK = "_sessionforge_link"  # attribute of a ChatSession holding its _ChatLink


async def save_chat_session(store: Store | None, chat_session: ChatSession) -> None:
    """Persist a ChatSession: the first save writes its create record, each later save only the
    messages added since (its ``history`` is append-only, so an index marks what is stored).

    Each compaction since the last save becomes a ``COMPACTION`` event placed where it happened among
    the messages (see :mod:`sessionforge.core.views`); the compacted messages stay stored. If the
    view was changed otherwise (``clear``, ``restore``), one ``"view"`` record makes a reload match it.
    """
    backend = _backend(store)
    link: _ChatLink | None = getattr(chat_session, _LINK, None)
    if link is None or link.twin.store is not backend:
        twin = await Session.load(chat_session.session_id, backend)
        link = _ChatLink(Session(id=chat_session.session_id), 0)
        if twin is not None:  # stored before by another object: match its messages by position
            link, stored, reports = _link_from(twin)
            event_ids = [link.ids[id(m)] for m in stored]
            link.ids = {id(m): i for m, i in zip(chat_session.history, event_ids, strict=False)}
            link.reports = min(len(reports), len(chat_session.compactions))
        setattr(chat_session, _LINK, link)
    twin = link.twin
    twin.metadata.properties.update(
        {
            "face": "chat_session",
            "max_tokens": chat_session.max_tokens,
            "model": chat_session.model,
            "metadata": dict(chat_session.metadata),
        }
    )
    if chat_session.budget is not None:  # a changed total is a patch of this one key, appended
        twin.metadata.properties[BUDGET_PROPERTY] = chat_session.budget.totals()
    history = chat_session.history

    async def add_messages(upto: int) -> None:
        for message in history[link.saved : upto]:
            event = chat_message_event(message)
            link.ids[id(message)] = event.id
            link.replay.add_event(event.id)
            await twin.add_event(event)
        link.saved = max(link.saved, upto)

    def ids(messages: Iterable[ChatMessage]) -> list[str]:
        return [i for i in (link.ids.get(id(m)) for m in messages) if i is not None]

    for report in chat_session.compactions[link.reports :]:
        await add_messages(report.position)
        undoes = (
            link.replay.in_force[-1].record_id if report.action == "undo" and link.replay.in_force else None
        )
        body = CompactionRecord(
            action="undo" if report.action == "undo" else "compact",
            view=ids(report.view_after),
            dropped=ids(report.dropped),
            added=ids(report.added),
            summary="\n".join(m.text for m in report.added) or None,
            compactor=report.compactor,
            before_tokens=report.before_tokens,
            after_tokens=report.after_tokens,
            target_tokens=report.target_tokens,
            undoes=undoes,
        )
        await _add_record(link, body)
    link.reports = len(chat_session.compactions)
    await add_messages(len(history))
    view = ids(chat_session.messages)
    if view != link.replay.view:
        await _add_record(link, CompactionRecord(action="view", view=view, compactor="view"))
    await twin.save(backend)


async def _add_record(link: _ChatLink, body: CompactionRecord) -> None:
    event = SessionEvent(
        source=EventSource.SYSTEM, type=EventType.COMPACTION, message=body.model_dump(mode="json")
    )
    link.replay.apply(event.id, body)
    await link.twin.add_event(event)


def _link_from(twin: Session) -> tuple[_ChatLink, list[ChatMessage], list[CompactionReport]]:
    """Replay a stored ChatSession: its link, its history, and its compaction reports."""
    from ..faces.chat_session import CompactionReport

    link = _ChatLink(twin, 0)
    history: list[ChatMessage] = []
    by_id: dict[str, ChatMessage] = {}
    reports: list[CompactionReport] = []
    for event in twin.events:
        if _is_chat(event):
            message: ChatMessage = event.message
            history.append(message)
            by_id[event.id] = message
            link.ids[id(message)] = event.id
            link.replay.add_event(event.id)
        elif event.type == EventType.COMPACTION and isinstance(event.message, dict):
            before = [by_id[i] for i in link.replay.view]
            record = link.replay.apply(event.id, event.message)
            if record.action == "view":
                continue
            reports.append(
                CompactionReport(
                    before_tokens=record.before_tokens,
                    after_tokens=record.after_tokens,
                    target_tokens=record.target_tokens or 0,
                    dropped=[by_id[i] for i in record.dropped if i in by_id],
                    added=[by_id[i] for i in record.added if i in by_id],
                    compactor=record.compactor,
                    at=event.timestamp,
                    action=record.action,
                    position=len(history),
                    view_before=tuple(before),
                    view_after=tuple(by_id[i] for i in link.replay.view),
                )
            )
    link.saved = len(history)
    link.reports = len(reports)
    return link, history, reports


async def load_chat_session(store: Store | None, session_id: str, **kwargs: Any) -> ChatSession:
    """Rebuild a ChatSession from its stored messages and compaction records.

    A stored budget comes back with its totals; a ``budget=`` passed here keeps its limits and takes
    the stored totals, so reopening a session never resets what it spent.

    ``history`` is every stored message; ``messages`` (the view) is what the compaction records say
    the model saw, and ``compactions`` lists them, so ``undo_compaction`` works after a reload.
    """
    from ..faces.chat_session import ChatSession

    backend = _backend(store)
    twin = await Session.load(session_id, backend)
    if twin is None:
        raise SessionNotFound(session_id)
    props = twin.metadata.properties
    kwargs.setdefault("max_tokens", props.get("max_tokens"))
    kwargs.setdefault("model", props.get("model"))
    kwargs.setdefault("metadata", props.get("metadata"))
    stored_budget = props.get(BUDGET_PROPERTY)
    given = kwargs.get("budget")
    kwargs["budget"] = (
        given.resumed(stored_budget) if given is not None else Budget.from_stored(stored_budget)
    )
    link, history, reports = _link_from(twin)
    by_id = {event_id: message for message in history if (event_id := link.ids.get(id(message)))}
    chat = ChatSession(session_id=session_id, **kwargs)
    chat._rebuild(history, [by_id[i] for i in link.replay.view], reports)
    setattr(chat, _LINK, link)
    return chat


async def fork_chat_session(chat_session: ChatSession, at: int | None = None) -> ChatSession:
    """Save ``chat_session`` to its store, fork it after ``history[at]`` (default: all), load the fork."""
    from .forks import fork

    link: _ChatLink | None = getattr(chat_session, _LINK, None)
    store = link.twin.store if link is not None else None
    await save_chat_session(store, chat_session)
    link = getattr(chat_session, _LINK)
    position: str | int | None = None
    if at is not None:
        history = chat_session.history
        if not 0 <= at < len(history):
            raise UsageError(f"fork(at={at}) is outside the history of {len(history)} messages")
        event_id = link.ids[id(history[at])]
        origin = link.twin.position_of(event_id)
        position = origin.seq if origin is not None and origin.session_id == link.twin.id else event_id
    child = await fork(chat_session.session_id, at=position, store=link.twin.store)
    return await load_chat_session(link.twin.store, child)


def _is_chat(event: SessionEvent) -> bool:
    return isinstance(event.message, ChatMessage) and event.type in {EventType.MESSAGE, EventType.TOOL_CALL}
