"""The one projection from a session's events to the messages a model sees.

Every face reads a conversation through this module: ``ChatSession`` (its messages), the
``SessionManager`` (``get_messages_for_llm``), the prompt builder, infinite-context segments, the
command line and the inspector. Two functions make the projection:

* :func:`event_messages` maps one event to the messages it contributes. A ``ChatMessage`` payload is
  itself; a session-manager turn (plain text with a source) becomes a user, assistant or system
  message; a recorded tool use (``{"tool", "arguments", "result", "error", "call_id"}``) becomes the
  assistant's call followed by the tool's result, the pair a provider requires; a summary becomes a
  system message. Bookkeeping (metadata patches, compaction records) contributes nothing. The result
  is cached on the event, so a message is built, and tokenized, once.
* :class:`ConversationView` folds events in log order into the history (every message ever said) and
  the view (what the model gets now): a dialogue event appends to both, a compaction record replaces
  the view with the one it names (:mod:`sessionforge.core.views`). It is maintained as events arrive,
  with a running token total, so reading it costs nothing at turn 10,000.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .construct import collector_paused
from .events import EventSource, EventType, SessionEvent, render_tool_result
from .messages import ChatMessage, Role, ToolCall
from .pairing import PairingState, pairing_error
from .session import SessionLog
from .tokens import TokenCounter
from .units import UnitLog
from .views import CompactionRecord, ViewReplay

__all__ = [
    "MARKS",
    "SUMMARY_LABEL",
    "CompactionEntry",
    "ConversationView",
    "event_messages",
    "is_dialogue",
    "prompt_message",
    "transcript",
]

SUMMARY_LABEL = "Summary of the earlier conversation: "
"""Opens a stored summary's text when it reaches the model, so it reads as context, not as a turn."""

MARKS = "sessionforge"
"""Key of an event's metadata for sessionforge's own marks. ``{"note": True}`` marks a note kept for
people (a summary saved for reading): stored, exported and shown, never sent to the model."""

_NOTHING: tuple[ChatMessage, ...] = ()
# Read once: ``EventType.MESSAGE`` passes through the enum class's attribute hook (EnumType defines
# ``__getattr__``), several times a plain name's cost, and an event's payload is projected per turn.
_USER, _LLM = EventSource.USER, EventSource.LLM
_MESSAGE, _TOOL_CALL, _SUMMARY = EventType.MESSAGE, EventType.TOOL_CALL, EventType.SUMMARY
_COMPACTION, _SESSION_META = EventType.COMPACTION, EventType.SESSION_META


def _text(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, default=str)


def _tool_pair(event: SessionEvent, payload: dict[str, Any]) -> tuple[ChatMessage, ...]:
    call_id = str(payload.get("call_id") or f"call_{event.id[:8]}")
    name = str(payload.get("tool") or payload.get("name") or "tool")
    arguments = payload.get("arguments")
    if not isinstance(arguments, dict):
        arguments = {} if arguments is None else {"value": arguments}
    content = payload.get("content")
    if not isinstance(content, str):
        error = payload.get("error")
        content = f"Error: {error}" if error else render_tool_result(payload.get("result"))
    stamp = event.timestamp
    return (
        ChatMessage.assistant(
            None, tool_calls=[ToolCall(id=call_id, name=name, arguments=arguments)], created_at=stamp
        ),
        ChatMessage.tool(content, tool_call_id=call_id, name=name, created_at=stamp),
    )


def _project(event: SessionEvent) -> tuple[ChatMessage, ...]:
    fields = event.__dict__  # one read of the model for its several fields
    marks = fields["metadata"].get(MARKS)
    if isinstance(marks, dict) and marks.get("note"):
        return _NOTHING
    payload, kind = fields["message"], fields["type"]
    if isinstance(payload, ChatMessage):
        # A tuple, not a set: an enum member hashes through a Python-level __hash__.
        return _NOTHING if kind in (_COMPACTION, _SESSION_META) else (payload,)
    if kind == _TOOL_CALL:
        return _tool_pair(event, payload) if isinstance(payload, dict) else _NOTHING
    # A message made from the event is dated with it, so that every projection of the event (a
    # reload's too) gives an equal message.
    if kind == _SUMMARY:
        if not payload:
            return _NOTHING
        return (ChatMessage.of_text("system", SUMMARY_LABEL + _text(payload), fields["timestamp"]),)
    if kind != _MESSAGE or payload is None:
        return _NOTHING
    source = fields["source"]
    role: Role = "user" if source == _USER else "assistant" if source == _LLM else "system"
    return (ChatMessage.of_text(role, _text(payload), fields["timestamp"]),)


def event_messages(event: SessionEvent) -> tuple[ChatMessage, ...]:
    """The messages ``event`` contributes to the dialogue, in order (empty for bookkeeping).

    Cached on the event and rebuilt only if its payload is replaced, so repeated reads return the
    same message objects (whose token counts are cached in turn).
    """
    cached = event.projection_cache
    if cached is not None and cached[0] is event.message:
        return cached[1]
    messages = _project(event)
    event.cache_projection(messages)
    return messages


def prompt_message(session: SessionLog, prompt: str | None) -> ChatMessage | None:
    """``prompt`` as the system message opening ``session``'s view (``None`` for no prompt).

    The prompt is a setting of the session, not an event: its message is dated with the session,
    so every reading of the session (a reload, another face, another process) gives an equal one.
    """
    return ChatMessage.system(prompt, created_at=session.metadata.created_at) if prompt else None


def transcript(session: SessionLog) -> list[ChatMessage]:
    """Everything said in ``session``: its system prompt, then every event's messages, compacted or
    not (what an export or a summary of the whole session reads)."""
    opening = prompt_message(session, session.system_prompt)
    said = [m for event in session.events for m in event_messages(event)]
    return [opening, *said] if opening else said


def is_dialogue(event: SessionEvent) -> bool:
    """Whether ``event`` contributes messages (a turn, a tool use, a summary)."""
    return bool(event_messages(event))


def _system_message(system: ChatMessage | str | None) -> ChatMessage | None:
    if isinstance(system, ChatMessage):
        return system
    return ChatMessage.system(system) if system else None


@dataclass(frozen=True)
class CompactionEntry:
    """A compaction record as it was applied: the record, and the views on either side of it."""

    event_id: str
    record: CompactionRecord
    at: datetime
    position: int
    """How many history messages existed when it was applied."""
    view_before: tuple[ChatMessage, ...]
    view_after: tuple[ChatMessage, ...]
    dropped: tuple[ChatMessage, ...]
    added: tuple[ChatMessage, ...]


class ConversationView:
    """A conversation's history and current view, folded incrementally from its events.

    ``counter`` counts the view's tokens (a running total over cached per-message counts). The system
    prompt, a property of the session rather than an event, opens the view when set.
    """

    def __init__(
        self,
        counter: TokenCounter,
        events: Iterable[SessionEvent] = (),
        *,
        system: ChatMessage | str | None = None,
    ) -> None:
        self.counter = counter
        self._system = _system_message(system)
        self._log = UnitLog(counter, [self._system] if self._system is not None else [])
        self._history: list[ChatMessage] = []
        self._owner: dict[int, str] = {}  # id(message) -> id of the event it came from
        self._by_event: dict[str, tuple[ChatMessage, ...]] = {}
        self._replay = ViewReplay()
        self._entries: list[CompactionEntry] = []
        self._pairing = PairingState()  # the history's open tool calls, fed as events arrive
        with collector_paused():
            self._fold_all(events)

    # ---- folding ---------------------------------------------------------------------------------

    def add(self, event: SessionEvent) -> None:
        """Fold one event, in log order."""
        self._fold_all((event,))

    def _fold_all(self, events: Iterable[SessionEvent]) -> None:
        """Fold events in log order: each run of dialogue between compaction records goes into the
        history, the pairing state, the replay and the unit log at once (a reload folds its whole
        batch in one pass; an append, its one event)."""
        by_event, owner = self._by_event, self._owner
        run: list[ChatMessage] = []  # the dialogue since the last compaction record
        talk: list[ChatMessage] = []  # the same without summaries (what the pairing state sees)
        ids: list[str] = []
        for event in events:
            fields = event.__dict__  # one read of the model for its several fields
            kind = fields["type"]
            if kind == _COMPACTION and isinstance(fields["message"], dict):
                self._take(run, talk, ids)
                run, talk, ids = [], [], []
                self._apply(event)
                continue
            messages = event_messages(event)
            if not messages:
                continue
            event_id = fields["id"]
            by_event[event_id] = messages
            ids.append(event_id)
            for message in messages:
                owner[id(message)] = event_id
            run += messages
            if kind != _SUMMARY:  # what a compaction wrote is a copy, not a new turn
                talk += messages
        self._take(run, talk, ids)

    def _take(self, run: list[ChatMessage], talk: list[ChatMessage], ids: list[str]) -> None:
        if run:
            self._history += run
            self._pairing.feed_all(talk)
            self._replay.add_events(ids)
            self._log.extend(run)

    def check_pairing(self, message: ChatMessage) -> None:
        """Raise :class:`~sessionforge.errors.ToolPairingError` if adding ``message`` would break the
        pairing of tool calls and results (O(its tool calls))."""
        issues = self._pairing.problems(message)
        if issues:
            raise pairing_error(issues)

    def extend(self, events: Iterable[SessionEvent]) -> None:
        """Fold events, in log order, in one pass."""
        self._fold_all(events)

    def _apply(self, event: SessionEvent) -> None:
        # What the model saw before: the messages the compaction itself wrote (a summary, stored
        # just before its record) were not part of it.
        written = set(event.message.get("added") or ())
        before = tuple(m for m in self._log.messages() if self._owner.get(id(m)) not in written)
        record = self._replay.apply(event.id, event.message)
        self._rebuild()
        after = tuple(self._log.messages())
        self._entries.append(
            CompactionEntry(
                event_id=event.id,
                record=record,
                at=event.timestamp,
                position=len(self._history),
                view_before=before,
                view_after=after,
                dropped=tuple(m for i in record.dropped for m in self._by_event.get(i, ())),
                added=tuple(m for i in record.added for m in self._by_event.get(i, ())),
            )
        )

    def _rebuild(self) -> None:
        opening = [self._system] if self._system is not None else []
        self._log = UnitLog(self.counter, [*opening, *self.messages_of(self._replay.view)])

    # ---- reading ---------------------------------------------------------------------------------

    @property
    def system_prompt(self) -> str | None:
        return self._system.text if self._system is not None else None

    @property
    def system_message(self) -> ChatMessage | None:
        """The message that opens the view (the system prompt), or ``None``."""
        return self._system

    def set_system(self, system: ChatMessage | str | None) -> None:
        """Open the view with this system message or prompt (``None`` removes it)."""
        message = _system_message(system)
        if message == self._system:
            return
        self._system = message
        self._rebuild()

    def use_counter(self, counter: TokenCounter) -> None:
        """Count with ``counter`` from now on (the view is recounted from cached counts)."""
        if counter is self.counter:
            return
        self.counter = counter
        self._log = UnitLog(counter, self._log.messages())

    @property
    def log(self) -> UnitLog:
        """The view as units with their token total (what compactors work on)."""
        return self._log

    def messages(self) -> list[ChatMessage]:
        """The messages the model gets now, system prompt first (a new list)."""
        return self._log.messages()

    def dialogue(self) -> list[ChatMessage]:
        """The view without the system prompt."""
        messages = self._log.messages()
        return messages[1:] if self._system is not None else messages

    def last_message(self) -> ChatMessage | None:
        return self._log.last_message()

    def request_tokens(self) -> int:
        """Tokens of the view sent as one request (reply priming included)."""
        return self._log.request_tokens()

    @property
    def history(self) -> list[ChatMessage]:
        """Every message of every event, compacted or not, in order (the live list: do not change)."""
        return self._history

    @property
    def compactions(self) -> list[CompactionEntry]:
        """Compaction records in the order they were applied (the live list: do not change)."""
        return self._entries

    @property
    def replay(self) -> ViewReplay:
        """The view as event ids, with the compactions in force (for planning an undo)."""
        return self._replay

    def view_event_ids(self) -> list[str]:
        return list(self._replay.view)

    def owner(self, message: ChatMessage) -> str | None:
        """The id of the event ``message`` came from, or ``None`` (the system prompt)."""
        return self._owner.get(id(message))

    def messages_of(self, event_ids: Sequence[str]) -> list[ChatMessage]:
        """The messages of the given events, in that order (unknown ids contribute nothing)."""
        return [m for i in event_ids for m in self._by_event.get(i, ())]
