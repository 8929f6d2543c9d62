"""Compaction of a session that never deletes: plan, apply (append), undo (append). One engine for
every face.

A compactor (:mod:`.compactors`, :mod:`.summarize`) stays a pure function of messages. This module
runs one over a :class:`~sessionforge.core.projection.ConversationView` and expresses the result as
events, in the shape :mod:`sessionforge.core.views` replays: messages the compactor wrote (a summary,
a pruned tool result) become ``SUMMARY`` events, then one ``COMPACTION`` event names the resulting
view. The events it hides stay in the log, so the full history is always there to export, audit or
restore. ``ChatSession`` and ``SessionManager`` both plan with :func:`plan_compaction` (or its async
twin, for summarizers that are coroutines) and append the planned events to their session.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.events import EventSource, EventType, SessionEvent
from ..core.messages import ChatMessage
from ..core.projection import ConversationView
from ..core.units import flatten
from ..core.views import CompactionRecord
from .compactors import Compactor, TruncateCompactor, UnitCompactor

__all__ = [
    "CompactionPlan",
    "aplan_compaction",
    "log_applied",
    "plan_compaction",
    "plan_undo",
    "record_event",
    "view_record",
]

log = logging.getLogger("sessionforge.context")


@dataclass(frozen=True)
class CompactionPlan:
    """What a compaction would append, and the messages the model would then see."""

    record: CompactionRecord
    messages: list[ChatMessage]
    """The view after the compaction, without the system prompt."""
    events: list[SessionEvent]
    """The events to append, in order: the messages the compactor wrote, then the record."""


def record_event(record: CompactionRecord) -> SessionEvent:
    """The ``COMPACTION`` event that carries ``record``."""
    return SessionEvent(
        source=EventSource.SYSTEM, type=EventType.COMPACTION, message=record.model_dump(mode="json")
    )


def log_applied(session_id: str, record: CompactionRecord) -> None:
    """Log a compaction (or undo) a face has just appended, once, whichever face it was.

    A compaction changes what the model sees without an error or a return value the caller must
    look at (it happens inside ``add_message`` when the limit is reached), so operators learn of it
    from the log: which session, how many tokens before and after, and what was hidden.
    """
    if record.action == "undo":
        log.info(
            "session %s: compaction %s undone (%d -> %d tokens)",
            session_id,
            record.undoes,
            record.before_tokens,
            record.after_tokens,
        )
    elif record.action == "compact":
        log.info(
            "session %s: compacted %d -> %d tokens (target %s) by %s; %d events hidden, %d written",
            session_id,
            record.before_tokens,
            record.after_tokens,
            record.target_tokens,
            record.compactor,
            len(record.dropped),
            len(record.added),
        )


def _engine(compactor: Compactor | None) -> Compactor:
    return compactor if compactor is not None else TruncateCompactor()


def plan_compaction(
    view: ConversationView, target_tokens: int, compactor: Compactor | None = None
) -> CompactionPlan:
    """Run ``compactor`` (truncation by default) over the view, writing nothing.

    A compactor that works on units (truncation) runs over the units the view maintains, so it costs
    what it drops. A summarizer that is a coroutine is run to completion (use
    :func:`aplan_compaction` from async code).
    """
    engine = _engine(compactor)
    before = view.messages()
    if isinstance(engine, UnitCompactor):
        kept, _, _ = engine.compact_units(view.log.units, target_tokens, view.counter, view.log.total)
        result = flatten(kept)
    else:
        result = engine(before, target_tokens, view.counter)
    return _plan(view, before, result, engine, target_tokens)


async def aplan_compaction(
    view: ConversationView, target_tokens: int, compactor: Compactor | None = None
) -> CompactionPlan:
    """:func:`plan_compaction` for async code: a compactor's ``acompact`` is awaited when it has one."""
    engine = _engine(compactor)
    acompact = getattr(engine, "acompact", None)
    if acompact is None:
        return plan_compaction(view, target_tokens, engine)
    before = view.messages()
    result = await acompact(before, target_tokens, view.counter)
    return _plan(view, before, list(result), engine, target_tokens)


def _plan(
    view: ConversationView,
    before: Sequence[ChatMessage],
    result: Sequence[ChatMessage],
    engine: Compactor,
    target_tokens: int,
) -> CompactionPlan:
    system = before[0] if before and view.system_prompt is not None else None
    shown = {id(m) for m in result}
    current = view.view_event_ids()
    # An event stays in the view only if all of its messages do; a compactor that rewrote part of an
    # event (a pruned tool result) has its rewritten messages recorded as new events instead.
    kept = {e for e in current if all(id(m) in shown for m in view.messages_of([e]))}
    added = [m for m in result if m is not system and view.owner(m) not in kept]
    written = [
        SessionEvent(
            source=EventSource.SYSTEM, type=EventType.SUMMARY, message=m, metadata={"compactor": repr(engine)}
        )
        for m in added
    ]
    added_ids = {id(m): e.id for m, e in zip(added, written, strict=True)}
    ids: list[str] = []
    for message in result:
        event_id = added_ids.get(id(message)) or view.owner(message)
        if event_id is not None and event_id not in ids:
            ids.append(event_id)
    record = CompactionRecord(
        action="compact",
        view=ids,
        dropped=[e for e in current if e not in kept],
        added=[e.id for e in written],
        summary="\n".join(m.text for m in added) or None,
        compactor=repr(engine),
        before_tokens=view.request_tokens(),
        after_tokens=view.counter.count_messages(result),
        target_tokens=target_tokens,
    )
    messages = [m for m in result if m is not system]
    return CompactionPlan(record, messages, [*written, record_event(record)])


def plan_undo(view: ConversationView) -> CompactionRecord | None:
    """The record that restores the view from before the latest compaction in force (every message
    added since stays), or ``None`` if there is none. Repeating it walks further back."""
    undo = view.replay.undo_view()
    if undo is None:
        return None
    undone, ids = undo
    opening = view.messages()[:1] if view.system_prompt is not None else []
    return CompactionRecord(
        action="undo",
        view=ids,
        undoes=undone,
        compactor="undo",
        before_tokens=view.request_tokens(),
        after_tokens=view.counter.count_messages([*opening, *view.messages_of(ids)]),
    )


def view_record(view: ConversationView, messages: Sequence[ChatMessage]) -> CompactionRecord:
    """A record setting the view to ``messages`` (a cleared or restored view); messages the view does
    not know are left out."""
    ids: list[str] = []
    for message in messages:
        event_id = view.owner(message)
        if event_id is not None and event_id not in ids:
            ids.append(event_id)
    return CompactionRecord(action="view", view=ids, compactor="view")
