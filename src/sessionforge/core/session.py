"""``SessionLog``: one conversation as an append-only log of events, folded into a model. No I/O.

A session is never rewritten in storage (:mod:`sessionforge.core.records` describes its records).
This model holds what folding the log gives: the events in order, the metadata (newest patch wins),
the runs and state, and where the session sits in a tree (parent, children, fork origin). It also
knows what the store has not seen yet (events without a ``seq``, metadata changed since the last
save), so a save appends only that. :class:`sessionforge.storage.session.Session` adds the I/O.

Totals (tokens, cost) are running sums over the events, so reading them costs O(new events).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, TypeAdapter, ValidationError

from ..errors import CorruptRecordError, MessageFormatError, RecordFormatError, UsageError
from .construct import collector_paused, set_field
from .events import TOKENS_KEY, EventType, MetadataAccess, SessionEvent, StoredTokens, event_usage
from .messages import ChatMessage, message_payload
from .records import ForkOrigin, StoredRecord, diff_meta, fold_meta, fork_origin, meta_record
from .tokens import DEFAULT_TOKEN_MODEL
from .usage import TokenSummary, TokenUsage

__all__ = [
    "SYSTEM_PROMPT",
    "Bookkeeping",
    "RunStatus",
    "SessionLog",
    "SessionMetadata",
    "SessionRun",
    "decode_record",
    "decode_records",
    "meta_view",
]


SYSTEM_PROMPT = "system_prompt"
"""The property holding a session's system prompt: a setting of the session, for every face."""

# Read once: ``EventType.SESSION_META`` passes through the enum class's attribute hook, and a reload
# checks every event's type against it.
_SESSION_META = EventType.SESSION_META


def _now() -> datetime:
    return datetime.now(UTC)


class RunStatus(StrEnum):
    """Where a run (one task executed inside a session) stands."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SessionRun(MetadataAccess, BaseModel):
    """One run inside a session: a unit of work with a status, timestamps, metadata, and the ids of
    the tool-call events it made (events name their run in ``task_id``)."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    status: RunStatus = RunStatus.PENDING
    started_at: datetime = Field(default_factory=_now)
    ended_at: datetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    tool_calls: list[str] = Field(default_factory=list)

    @classmethod
    async def create(cls, metadata: dict[str, Any] | None = None) -> SessionRun:
        return cls(metadata=dict(metadata or {}))

    async def mark_running(self) -> None:
        self.status = RunStatus.RUNNING
        self.started_at = _now()

    async def mark_completed(self) -> None:
        self.status = RunStatus.COMPLETED
        self.ended_at = _now()

    async def mark_failed(self, reason: str | None = None) -> None:
        self.status = RunStatus.FAILED
        self.ended_at = _now()
        if reason is not None:
            self.metadata["failure_reason"] = reason

    async def mark_cancelled(self, reason: str | None = None) -> None:
        self.status = RunStatus.CANCELLED
        self.ended_at = _now()
        if reason is not None:
            self.metadata["cancel_reason"] = reason

    async def get_duration(self) -> float | None:
        """Seconds from start to end, or ``None`` while the run has not ended."""
        return None if self.ended_at is None else (self.ended_at - self.started_at).total_seconds()

    async def add_tool_call(self, tool_call_id: str) -> None:
        """Attach a tool-call event to this run (once)."""
        if tool_call_id not in self.tool_calls:
            self.tool_calls.append(tool_call_id)

    async def get_tool_calls(self, session: SessionLog) -> list[SessionEvent]:
        """The events of ``session`` attached to this run, in session order."""
        wanted = set(self.tool_calls)
        return [event for event in session.events if event.id in wanted]

    async def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "started_at": self.started_at.isoformat(),
            "metadata": self.metadata,
            "tool_calls": self.tool_calls,
        }
        if self.ended_at is not None:
            result["ended_at"] = self.ended_at.isoformat()
            result["duration"] = await self.get_duration()
        return result


class SessionMetadata(BaseModel):
    """When a session was created and last changed, and free-form ``properties``."""

    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    properties: dict[str, Any] = Field(default_factory=dict)

    async def set_property(self, key: str, value: Any) -> None:
        self.properties[key] = value
        self.updated_at = _now()

    async def get_property(self, key: str, default: Any = None) -> Any:
        return self.properties.get(key, default)

    async def update_timestamp(self) -> None:
        self.updated_at = _now()

    @classmethod
    async def create(cls, properties: dict[str, Any] | None = None) -> SessionMetadata:
        now = _now()
        return cls(created_at=now, updated_at=now, properties=dict(properties or {}))


def meta_view(session: SessionLog) -> dict[str, Any]:
    """The persisted part of a session besides its events, as JSON (what patches are diffed on)."""
    return {
        "parent_id": session.parent_id,
        "created_at": session.metadata.created_at.isoformat(),
        "updated_at": session.metadata.updated_at.isoformat(),
        "properties": session.metadata.model_dump(mode="json")["properties"],
        "child_ids": list(session.child_ids),
        "runs": {run.id: run.model_dump(mode="json") for run in session.runs},
        "state": session.model_dump(mode="json", include={"state"})["state"],
    }


@dataclass
class Bookkeeping:
    """What a :class:`SessionLog` knows of its stored log besides its fields."""

    persisted_meta: dict[str, Any] | None = None  # the meta view the store holds; None: no create yet
    last_seq: int = 0
    checked: int = 0  # events[:checked] are known to be stored
    summary: TokenSummary = field(default_factory=TokenSummary)
    summed: int = 0  # events[:summed] are folded into summary
    fork_of: ForkOrigin | None = None
    owners: list[tuple[str, int]] = field(default_factory=list)  # (ancestor, events) shared, in order
    store: Any = None  # the store it is bound to (storage's concern; held here to keep one lookup)
    uncertain: bool = False  # a save failed midway: seqs must be read back
    meta_key: tuple[Any, ...] | None = None  # a copy of the raw metadata persisted_meta was made from


class SessionLog(BaseModel):
    """A conversation: its events in order, its metadata, and its place in a session tree."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    metadata: SessionMetadata = Field(default_factory=SessionMetadata)
    parent_id: str | None = None
    child_ids: list[str] = Field(default_factory=list)
    events: list[SessionEvent] = Field(default_factory=list)
    runs: list[SessionRun] = Field(default_factory=list)
    state: dict[str, Any] = Field(default_factory=dict)

    _book: Bookkeeping = PrivateAttr(default_factory=lambda: Bookkeeping())

    def __repr__(self) -> str:
        # pydantic's repr would spell out every event: seconds for a long session, and asyncio
        # builds it for the result of each ``asyncio.run(Session.load(...))`` (its SIGINT handler's repr).
        return (
            f"{type(self).__name__}(id={self.id!r}, events={len(self.events)}, "
            f"parent_id={self.parent_id!r}, child_ids={self.child_ids!r})"
        )

    @property
    def book(self) -> Bookkeeping:
        """Where this session stands against its store (read through the private-state dict: a
        turn reads it several times, and pydantic's attribute hook costs ~30x more)."""
        private = self.__pydantic_private__
        assert private is not None
        book: Bookkeeping = private["_book"]
        return book

    # ---- folding stored records -------------------------------------------------------------------

    def fold_first(self, first: StoredRecord) -> None:
        """Note what a session's first record says about it (a fork names its origin there)."""
        self.book.fork_of = fork_origin(first.record)

    def fold_inherited(self, parts: Sequence[tuple[str, Sequence[StoredRecord]]]) -> None:
        """Take in a fork's shared prefix: ``(ancestor id, its records up to the fork point)``, oldest
        ancestor first. Their events come first; their properties and state as of the fork point
        are the base the fork's own records (folded next) override."""
        view: dict[str, Any] = {}
        for owner, records in parts:
            count = 0
            for event in decode_records(owner, records):
                if event.type == _SESSION_META and isinstance(event.message, dict):
                    fold_meta(view, {k: event.message.get(k) for k in ("properties", "state")})
                else:
                    self.events.append(event)
                    count += 1
            self.book.owners.append((owner, count))
        self.book.checked = len(self.events)
        self.book.persisted_meta = {"properties": view.get("properties", {}), "state": view.get("state", {})}
        self.book.meta_key = None

    @property
    def fork_of(self) -> ForkOrigin | None:
        """The session and position this session was forked from, or ``None``."""
        return self.book.fork_of

    def position_of(self, event_id: str) -> ForkOrigin | None:
        """Which stored log holds ``event_id`` and at which seq: this session's own log, or the
        ancestor it shares the event from. ``None`` if the event is unknown or not saved yet."""
        index = 0
        for owner, count in self.book.owners:
            for event in self.events[index : index + count]:
                if event.id == event_id and event.seq is not None:
                    return ForkOrigin(owner, event.seq)
            index += count
        for event in self.events[index:]:
            if event.id == event_id and event.seq is not None:
                return ForkOrigin(self.id, event.seq)
        return None

    def fold(self, records: Sequence[StoredRecord]) -> list[SessionEvent]:
        """Apply stored records in order: meta records to the metadata, events to the event list.

        Events other writers stored go before events of ours not saved yet. Returns the events added.
        """
        view: dict[str, Any] = dict(self.book.persisted_meta or {})
        folded_meta = False
        events: list[SessionEvent] = []
        for event in decode_records(self.id, records):
            if event.type == _SESSION_META and isinstance(event.message, dict):
                fold_meta(view, event.message)
                folded_meta = True
            else:
                events.append(event)
        at = self.book.checked  # other writers' events go before any of ours not saved yet
        self.events[at:at] = events
        self.book.checked += len(events)
        if self.book.summed > at:
            self.book.summary, self.book.summed = TokenSummary(), 0
        try:
            if folded_meta:
                self.parent_id = view.get("parent_id")
                self.child_ids = list(view.get("child_ids", []))
                self.state = dict(view.get("state", {}))
                self.runs = [SessionRun.model_validate(r) for r in view.get("runs", {}).values()]
                self.metadata = SessionMetadata.model_validate(
                    {k: view[k] for k in ("created_at", "updated_at", "properties") if k in view}
                )
                self.book.persisted_meta = meta_view(self)
                self.book.meta_key = None
            elif self.book.persisted_meta is None and self.events:
                first = self.events[0].timestamp
                self.metadata = SessionMetadata(created_at=first, updated_at=first)
        except ValidationError as exc:
            raise CorruptRecordError(
                f"the metadata records of session {self.id!r} cannot be read: {exc}",
                session_id=self.id,
            ) from exc
        if events and events[-1].timestamp > self.metadata.updated_at:
            self.metadata.updated_at = events[-1].timestamp
        self.book.last_seq = max(self.book.last_seq, records[-1].seq)
        return events

    # ---- derived values (running sums: O(new events) per read) -----------------------------------

    @property
    def token_summary(self) -> TokenSummary:
        if self.book.summed > len(self.events):  # events were removed: start over
            self.book.summary, self.book.summed = TokenSummary(), 0
        for event in self.events[self.book.summed :]:
            usage = event_usage(event)
            if usage is not None:
                self.book.summary.add(usage)
        self.book.summed = len(self.events)
        return self.book.summary

    @property
    def total_tokens(self) -> int:
        return self.token_summary.total_tokens

    @property
    def total_cost(self) -> float:
        return self.token_summary.total_estimated_cost_usd

    @property
    def last_seq(self) -> int:
        """The highest sequence number this session knows the store to hold."""
        return self.book.last_seq

    @property
    def system_prompt(self) -> str | None:
        """The session's system prompt (its ``system_prompt`` property), or ``None``."""
        prompt = self.metadata.properties.get(SYSTEM_PROMPT)
        return prompt if isinstance(prompt, str) and prompt else None

    @property
    def last_update_time(self) -> datetime:
        """When the newest event happened, or the creation time of a session without events."""
        return max((event.timestamp for event in self.events), default=self.metadata.created_at)

    @property
    def active_run(self) -> SessionRun | None:
        """The most recent run that is running, if any."""
        return next((run for run in reversed(self.runs) if run.status == RunStatus.RUNNING), None)

    async def get_token_usage_by_source(self) -> dict[str, TokenSummary]:
        """Token usage per event source (``user``, ``llm``, ``system``)."""
        return self._usage_by(lambda event: event.source.value)

    async def get_token_usage_by_run(self) -> dict[str, TokenSummary]:
        """Token usage per run (the events' ``task_id``); events of no run are under ``no_run``."""
        return self._usage_by(lambda event: event.task_id or "no_run", {"no_run": TokenSummary()})

    def _usage_by(
        self, key: Callable[[SessionEvent], str], result: dict[str, TokenSummary] | None = None
    ) -> dict[str, TokenSummary]:
        grouped = result if result is not None else {}
        for event in self.events:
            usage = event_usage(event)
            if usage is not None:
                grouped.setdefault(key(event), TokenSummary()).add(usage)
        return grouped

    async def count_message_tokens(
        self, message: str | dict[str, Any], model: str = DEFAULT_TOKEN_MODEL
    ) -> int:
        """Tokens of a text, or of the ``content`` of a message dict, for ``model``."""
        if isinstance(message, dict) and "content" in message:
            content = message["content"]
            return await TokenUsage.count_tokens(content if isinstance(content, str) else str(content), model)
        return await TokenUsage.count_tokens(message if isinstance(message, str) else str(message), model)

    # ---- state -----------------------------------------------------------------------------------------

    async def set_state(self, key: str, value: Any) -> None:
        """Set one value of the session's state (saved, like the metadata, as a patch on the next save)."""
        self.state[key] = value

    async def get_state(self, key: str, default: Any = None) -> Any:
        return self.state.get(key, default)

    async def has_state(self, key: str) -> bool:
        return key in self.state

    async def remove_state(self, key: str) -> None:
        self.state.pop(key, None)

    @property
    def is_stored(self) -> bool:
        """Whether the create record has been written (or read)."""
        return self.book.persisted_meta is not None

    @property
    def stored_events(self) -> int:
        """How many of :attr:`events` (from the start) are known to be in the store."""
        return self.book.checked

    # ---- changing (in memory) ---------------------------------------------------------------------

    def append_event(self, event: SessionEvent) -> None:
        """Add an event in memory; a save persists it."""
        self.events.append(event)
        if event.timestamp > self.metadata.updated_at:
            set_field(self.metadata, "updated_at", event.timestamp)

    async def add_event(self, event: SessionEvent) -> None:
        """Add an event in memory (the spec's awaitable form of :meth:`append_event`)."""
        self.append_event(event)

    def drop_unsaved(self, keep: int) -> list[SessionEvent]:
        """Remove events after the first ``keep`` (undoing a failed turn); they must not be stored."""
        if keep < self.book.checked:
            raise UsageError("cannot drop events that are already stored: a session is append-only")
        removed = self.events[keep:]
        del self.events[keep:]
        if self.book.summed > keep:
            self.book.summary, self.book.summed = TokenSummary(), 0
        return removed

    def note_stored_child(self, child_id: str) -> None:
        """Record a child that is already registered in this session's stored log."""
        if child_id not in self.child_ids:
            self.child_ids.append(child_id)
        if self.book.persisted_meta is not None and child_id not in self.book.persisted_meta["child_ids"]:
            self.book.persisted_meta["child_ids"].append(child_id)
            self.book.meta_key = None

    # ---- what a save appends ----------------------------------------------------------------------

    def _meta_key(self) -> tuple[Any, ...]:
        # The metadata as it is in memory: compared (by value) with the copy taken at the last save,
        # so a save that adds only events skips serializing and diffing the metadata.
        fields = self.__dict__  # read once: every turn compares this key
        meta = fields["metadata"].__dict__
        return (
            fields["parent_id"],
            meta["created_at"],
            fields["child_ids"],
            meta["properties"],
            fields["state"],
            fields["runs"],
        )

    def pending_records(self) -> tuple[list[SessionEvent], list[dict[str, Any]], dict[str, Any]]:
        """``(events not stored, records to append, the meta view they store)``: a create record on
        the first save, else a patch if the metadata changed, then the new events."""
        book = self.book
        pending = [e for e in self.events[book.checked :] if e.seq is None]
        records: list[dict[str, Any]] = []
        if book.persisted_meta is not None and book.meta_key == self._meta_key():
            current = book.persisted_meta
        else:
            current = meta_view(self)
            if book.persisted_meta is None:
                records.append(meta_record({"op": "create", **current}))
            else:
                patch = diff_meta(book.persisted_meta, current)
                if patch:
                    records.append(meta_record({"op": "patch", **patch}))
        for index, event in enumerate(pending, start=len(records)):
            try:
                records.append(event.encoded_record())
            except RecordFormatError as refused:  # drop it: the session stays writable
                self.events.remove(event)
                refused.index, refused.session_id = index, self.id
                raise
        return pending, records, current

    def mark_stored(self, meta: dict[str, Any], last_seq: int) -> None:
        """After an append: the store holds ``meta`` and every event, up to ``last_seq``."""
        book = self.book
        if meta is not book.persisted_meta or book.meta_key is None:
            book.meta_key = copy.deepcopy(self._meta_key())
        book.persisted_meta = meta
        book.last_seq = max(book.last_seq, last_seq)
        book.checked = len(self.events)

    def forget_store(self) -> None:
        """Treat every event as unsaved (the session is being copied into another store)."""
        self.book.persisted_meta = None
        self.book.meta_key = None
        self.book.last_seq = 0
        self.book.checked = 0
        for event in self.events:
            event.seq = None


def decode_record(session_id: str, stored: StoredRecord) -> SessionEvent:
    try:
        return SessionEvent.from_record(stored.record, seq=stored.seq)
    except (ValidationError, MessageFormatError, UsageError, TypeError, ValueError) as exc:
        raise CorruptRecordError(
            f"record {stored.seq} of session {session_id!r} is not a valid event: {exc}",
            session_id=session_id,
            seq=stored.seq,
        ) from exc


_CHATS: TypeAdapter[list[ChatMessage]] = TypeAdapter(list[ChatMessage])
_EVENTS: TypeAdapter[list[SessionEvent]] = TypeAdapter(list[SessionEvent])
_COUNTS: TypeAdapter[list[StoredTokens]] = TypeAdapter(list[StoredTokens])


def decode_records(session_id: str, records: Sequence[StoredRecord]) -> list[SessionEvent]:
    """The events of ``records``, validated as one batch: one pydantic-core call for the messages,
    one for the events and one for their token counts, the same rules as :meth:`SessionEvent.from_record`
    applied record by record at a fraction of the cost. If the batch is refused, the records are read
    one by one so that the error names the first bad one (:class:`CorruptRecordError`, with its seq).
    """
    with collector_paused():
        try:
            return _decode_batch(records)
        except (ValueError, TypeError, UsageError):  # ValidationError and MessageFormatError included
            return [decode_record(session_id, stored) for stored in records]


def _decode_batch(records: Sequence[StoredRecord]) -> list[SessionEvent]:
    rows: list[dict[str, Any]] = []
    chats: list[dict[str, Any]] = []
    chat_rows: list[int] = []
    counts: list[Any] = []
    count_rows: list[int] = []
    for stored in records:
        data = dict(stored.record)
        chat = data.pop("chat", None)
        count = data.pop(TOKENS_KEY, None)
        if chat is not None:
            chats.append(message_payload(chat))
            chat_rows.append(len(rows))
        if count is not None:
            counts.append(count)
            count_rows.append(len(rows))
        data["seq"] = stored.seq
        rows.append(data)
    for row, message in zip(chat_rows, _CHATS.validate_python(chats), strict=True):
        rows[row]["message"] = message
    events = _EVENTS.validate_python(rows)
    for row, stored_counts in zip(count_rows, _COUNTS.validate_python(counts, strict=True), strict=True):
        events[row].keep_stored_tokens(stored_counts)
    return events
