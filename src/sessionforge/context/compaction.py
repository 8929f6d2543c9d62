"""Compaction of a stored session that never deletes: preview, apply (append), undo (append).

The compaction engine (:mod:`sessionforge.context.compactors`) stays a pure function of messages; this
module runs it over the view of a :class:`Session` and records its result as events, in the shape
:mod:`sessionforge.core.views` replays: messages a compactor adds (a summary) become ``SUMMARY``
events, then one ``COMPACTION`` event names the resulting view. The original events stay in the
store, so the full history is always there to export, audit or restore.

``SessionManager`` exposes these as ``compact``, ``preview_compaction`` and ``undo_compaction``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.events import EventSource, EventType, SessionEvent, as_chat_message, tool_event_messages
from ..core.messages import ChatMessage
from ..core.session import Session
from ..core.tokens import TokenCounter
from ..core.views import CompactionRecord, ViewReplay
from .compactors import Compactor, TruncateCompactor

__all__ = [
    "CompactionPreview",
    "apply_compaction",
    "event_messages",
    "plan_compaction",
    "replay_view",
    "undo_compaction",
    "visible_events",
]


@dataclass(frozen=True)
class CompactionPreview:
    """What a compaction would record, and the messages the model would then see."""

    record: CompactionRecord
    messages: list[ChatMessage]
    summary_events: list[SessionEvent]


def event_messages(event: SessionEvent) -> list[ChatMessage]:
    """The messages an event contributes to the dialogue (none for meta and compaction records)."""
    if event.type == EventType.TOOL_CALL:
        return tool_event_messages(event)
    if event.type in {EventType.COMPACTION, EventType.SESSION_META}:
        return []
    message = as_chat_message(event)
    return [] if message is None else [message]


def replay_view(session: Session) -> ViewReplay:
    """Fold the session's events into the current view (compaction records applied in order)."""
    replay = ViewReplay()
    for event in session.events:
        if event.type == EventType.COMPACTION and isinstance(event.message, dict):
            replay.apply(event.id, event.message)
        elif event_messages(event):
            replay.add_event(event.id)
    return replay


def visible_events(session: Session) -> list[SessionEvent]:
    """The dialogue events the model sees now, in order."""
    if not any(e.type == EventType.COMPACTION for e in session.events):
        return [e for e in session.events if event_messages(e)]
    by_id = {e.id: e for e in session.events}
    return [by_id[i] for i in replay_view(session).view]


def _request(
    system: ChatMessage | None, events: list[SessionEvent]
) -> tuple[list[ChatMessage], dict[int, str]]:
    messages: list[ChatMessage] = [system] if system is not None else []
    owner: dict[int, str] = {}
    for event in events:
        for message in event_messages(event):
            owner[id(message)] = event.id
            messages.append(message)
    return messages, owner


def plan_compaction(
    session: Session,
    target_tokens: int,
    counter: TokenCounter,
    compactor: Compactor | None = None,
    system_prompt: str | None = None,
) -> CompactionPreview:
    """Run ``compactor`` (truncation by default) over the session's view without writing anything."""
    engine = compactor or TruncateCompactor()
    system = ChatMessage.system(system_prompt) if system_prompt else None
    events = visible_events(session)
    messages, owner = _request(system, events)
    result = engine(messages, target_tokens, counter)
    kept = {owner[id(m)] for m in result if id(m) in owner}
    added = [m for m in result if id(m) not in owner and m is not system]
    summary_events = [
        SessionEvent(
            source=EventSource.SYSTEM, type=EventType.SUMMARY, message=m, metadata={"compactor": repr(engine)}
        )
        for m in added
    ]
    added_ids = {id(m): e.id for m, e in zip(added, summary_events, strict=True)}
    view: list[str] = []
    for message in result:
        event_id = owner.get(id(message)) or added_ids.get(id(message))
        if event_id is not None and event_id not in view:
            view.append(event_id)
    record = CompactionRecord(
        action="compact",
        view=view,
        dropped=[e.id for e in events if e.id not in kept],
        added=[e.id for e in summary_events],
        summary="\n".join(m.text for m in added) or None,
        compactor=repr(engine),
        before_tokens=counter.count_messages(messages),
        after_tokens=counter.count_messages(result),
        target_tokens=target_tokens,
    )
    shown = [m for m in result if m is not system]
    return CompactionPreview(record, shown, summary_events)


async def apply_compaction(session: Session, preview: CompactionPreview) -> SessionEvent:
    """Append a planned compaction (its summary events, then its record); returns the record event."""
    for event in preview.summary_events:
        await session.add_event(event)
    record = SessionEvent(
        source=EventSource.SYSTEM, type=EventType.COMPACTION, message=preview.record.model_dump(mode="json")
    )
    await session.add_event_and_save(record)
    return record


async def undo_compaction(
    session: Session, counter: TokenCounter, system_prompt: str | None = None
) -> CompactionRecord | None:
    """Append a record restoring the view from before the latest compaction in force (``None`` if
    there is none). Repeating it walks further back."""
    replay = replay_view(session)
    undo = replay.undo_view()
    if undo is None:
        return None
    undone, view = undo
    by_id = {e.id: e for e in session.events}
    system = [ChatMessage.system(system_prompt)] if system_prompt else []
    before = [*system, *(m for i in replay.view for m in event_messages(by_id[i]))]
    after = [*system, *(m for i in view for m in event_messages(by_id[i]))]
    record = CompactionRecord(
        action="undo",
        view=view,
        undoes=undone,
        compactor="undo",
        before_tokens=counter.count_messages(before),
        after_tokens=counter.count_messages(after),
    )
    await session.add_event_and_save(
        SessionEvent(
            source=EventSource.SYSTEM, type=EventType.COMPACTION, message=record.model_dump(mode="json")
        )
    )
    return record
