"""Session events: what happened in a session, in order, with who said it and what it cost.

An event carries identity (``id``, and ``seq`` once the store has assigned it); the payload in
``message`` is a :class:`~sessionforge.core.messages.ChatMessage`, plain text (the session-manager
API's user and AI turns), or a JSON object (tool calls, summaries, compactions).
:mod:`sessionforge.core.projection` is the one place that turns events into the messages a model sees.
"""

from __future__ import annotations

import builtins
import json
import math
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PrivateAttr, TypeAdapter
from pydantic_core import to_json, to_jsonable_python
from uuid_utils import uuid7

from ..errors import RecordFormatError
from .construct import assemble, fast_private_init
from .jsonvalue import find_problem, flat_and_plain, text_problem
from .messages import ChatMessage
from .tokens import DEFAULT_TOKEN_MODEL, persisted_counts, seed_counts
from .usage import TokenUsage

__all__ = [
    "TOKENS_KEY",
    "USAGE_KEY",
    "EncodedRecord",
    "EventSource",
    "EventType",
    "MetadataAccess",
    "SessionEvent",
    "StoredTokens",
    "chat_message_event",
    "event_usage",
    "render_tool_result",
    "tool_call_event",
]

USAGE_KEY = "usage"
"""Key of an assistant message's ``metadata`` holding the usage of the model call that wrote it
(``TokenUsage`` as JSON). It travels with the message into the store, so per-call tokens and cost are
appended with the reply instead of being kept in a session-wide record rewritten on every save."""


TOKENS_KEY = "text_tokens"
"""Key of a record holding the token counts of the text of the messages the event projects to, one
``{encoding: tokens}`` per message, as counted before it was written: a reload takes them instead of
tokenizing the conversation again. Only exact encodings' counts are kept (see
:func:`~sessionforge.core.tokens.persisted_counts`); a message without them is counted when read."""


class EventSource(StrEnum):
    """Who produced an event."""

    USER = "user"
    LLM = "llm"
    SYSTEM = "system"


class EventType(StrEnum):
    """What kind of event it is."""

    MESSAGE = "message"
    TOOL_CALL = "tool_call"
    SUMMARY = "summary"
    REFERENCE = "reference"
    CONTEXT_BRIDGE = "context_bridge"
    COMPACTION = "compaction"
    SESSION_META = "session_meta"


def _now() -> datetime:
    return datetime.now(UTC)


_type_of = builtins.type  # ``type`` is also a parameter name here


def _new_id() -> str:
    # UUIDv7: time-ordered (ids of a session sort by creation, and index well) and, made by
    # uuid-utils, ~20x cheaper than uuid.uuid4(), which reads the OS's random source on each call.
    return str(uuid7())


class MetadataAccess:
    """chuk-ai-session-manager's awaitable accessors of a model's ``metadata`` dict, shared by events
    and runs (awaitable because chuk's are; nothing here does I/O)."""

    if TYPE_CHECKING:
        metadata: dict[str, Any]

    async def set_metadata(self, key: str, value: Any) -> None:
        self.metadata[key] = value

    async def get_metadata(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    async def has_metadata(self, key: str) -> bool:
        return key in self.metadata

    async def remove_metadata(self, key: str) -> None:
        self.metadata.pop(key, None)


class SessionEvent(MetadataAccess, BaseModel):
    """One event of a session.

    ``seq`` is assigned by the store on append (``None`` until then): it orders events and makes a
    save idempotent, as an event already stored is never written twice. ``parent_event_id`` and
    ``task_id`` place an event in a hierarchy (a tool call under the reply that asked for it) and in a
    run (:class:`~sessionforge.core.session.SessionRun`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=False, validate_assignment=False)

    id: str = Field(default_factory=_new_id)
    timestamp: datetime = Field(default_factory=_now)
    source: EventSource = EventSource.SYSTEM
    type: EventType = EventType.MESSAGE
    message: Any = None
    token_usage: TokenUsage | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    parent_event_id: str | None = None
    task_id: str | None = None
    seq: int | None = None

    # (payload, its messages): the projection's memo, see sessionforge.core.projection
    _projection: tuple[Any, tuple[ChatMessage, ...]] | None = PrivateAttr(default=None)
    # the stored text-token counts of those messages, taken by the projection when it builds them
    _stored_tokens: list[dict[str, int]] | None = PrivateAttr(default=None)

    @property
    def projection_cache(self) -> tuple[Any, tuple[ChatMessage, ...]] | None:
        private = self.__pydantic_private__
        if private is None:
            return None
        cached: tuple[Any, tuple[ChatMessage, ...]] | None = private["_projection"]
        return cached

    def keep_stored_tokens(self, counts: list[dict[str, int]]) -> None:
        """Hold the counts read back with this event until its messages are built (a method, not a
        property setter: pydantic's ``__setattr__`` would cost more than the rest of the work)."""
        private = self.__pydantic_private__
        assert private is not None
        private["_stored_tokens"] = counts

    def cache_projection(self, messages: tuple[ChatMessage, ...]) -> None:
        """Remember ``messages`` as what the current payload projects to; the counts read back with
        the event go into their token caches, so they are not tokenized again."""
        private = self.__pydantic_private__
        assert private is not None
        stored = private["_stored_tokens"]
        if stored is not None:
            private["_stored_tokens"] = None
            if len(stored) == len(messages):
                for message, counts in zip(messages, stored, strict=True):
                    seed_counts(message.token_cache, counts)
        private["_projection"] = (self.message, messages)

    @classmethod
    def of_parts(
        cls,
        source: EventSource,
        type: EventType,
        message: Any,
        metadata: dict[str, Any],
        token_usage: TokenUsage | None = None,
    ) -> SessionEvent:
        """A new event, equal to ``cls(source=..., type=..., message=..., metadata=..., token_usage=...)``
        but assembled without pydantic's validation pass, from parts the caller built (the session
        manager records each turn with this). Parts of another kind are validated as usual."""
        if not (
            isinstance(source, EventSource)
            and isinstance(type, EventType)
            and _type_of(metadata) is dict
            and (not metadata or all(_type_of(key) is str for key in metadata))
            and (token_usage is None or _type_of(token_usage) is TokenUsage)
        ):
            return cls(source=source, type=type, message=message, metadata=metadata, token_usage=token_usage)
        fields = {
            "id": _new_id(),
            "timestamp": _now(),
            "source": source,
            "type": type,
            "message": message,
            "token_usage": token_usage,
            "metadata": metadata,
            "parent_event_id": None,
            "task_id": None,
            "seq": None,
        }
        given = {"source", "type", "message", "metadata", "token_usage"}
        return assemble(cls, fields, given, _event_private())

    @classmethod
    async def create_with_tokens(
        cls,
        message: Any,
        prompt: str,
        completion: str | None = None,
        model: str = DEFAULT_TOKEN_MODEL,
        source: EventSource = EventSource.SYSTEM,
        type: EventType = EventType.MESSAGE,
        **extra: Any,
    ) -> SessionEvent:
        """An event whose ``token_usage`` is counted from ``prompt`` and ``completion``."""
        usage = await TokenUsage.from_text(prompt, completion, model)
        return cls(message=message, source=source, type=type, token_usage=usage, **extra)

    async def update_metadata(self, key: str, value: Any) -> None:
        self.metadata[key] = value

    async def merge_metadata(self, new_metadata: dict[str, Any]) -> None:
        self.metadata.update(new_metadata)

    async def clear_metadata(self) -> None:
        self.metadata.clear()

    # ---- hierarchy and tokens ----------------------------------------------------------------------

    def is_child_of(self, parent_event_id: str) -> bool:
        return self.parent_event_id == parent_event_id

    def is_part_of_task(self, task_id: str) -> bool:
        return self.task_id == task_id

    async def update_token_usage(
        self,
        prompt: str | None = None,
        completion: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        model: str = DEFAULT_TOKEN_MODEL,
    ) -> None:
        """Recount this event's usage from ``prompt``/``completion`` text, or set the counts given
        (a count left out keeps its value); the cost is priced again for ``model``."""
        if prompt is not None or completion is not None:
            self.token_usage = await TokenUsage.from_text(prompt or "", completion, model)
        elif prompt_tokens is not None or completion_tokens is not None:
            old = self.token_usage
            self.token_usage = TokenUsage(
                prompt_tokens=prompt_tokens if prompt_tokens is not None else old.prompt_tokens if old else 0,
                completion_tokens=(
                    completion_tokens
                    if completion_tokens is not None
                    else old.completion_tokens
                    if old
                    else 0
                ),
                model=old.model if old is not None and old.model else model,
                provider=old.provider if old is not None else None,
            )

    async def calculate_tokens(self, model: str = DEFAULT_TOKEN_MODEL) -> int:
        """The event's total tokens if it has a usage record, else its message counted for ``model``."""
        if self.token_usage is not None:
            return self.token_usage.total_tokens
        payload = self.message
        text = (
            payload.text
            if isinstance(payload, ChatMessage)
            else payload
            if isinstance(payload, str)
            else str(payload)
        )
        return await TokenUsage.count_tokens(text, model)

    async def to_dict(self) -> dict[str, Any]:
        """A plain dict of the event: ids, message, ISO timestamp, source and type values, metadata,
        and the parent, task and token usage when set."""
        message = self.message.to_dict() if isinstance(self.message, ChatMessage) else self.message
        result: dict[str, Any] = {
            "id": self.id,
            "message": message,
            "timestamp": self.timestamp.isoformat(),
            "source": self.source.value,
            "type": self.type.value,
            "metadata": self.metadata,
        }
        if self.parent_event_id:
            result["parent_event_id"] = self.parent_event_id
        if self.task_id:
            result["task_id"] = self.task_id
        if self.token_usage is not None:
            result["token_usage"] = self.token_usage.model_dump(
                include={"prompt_tokens", "completion_tokens", "total_tokens", "model", "estimated_cost_usd"}
            )
        return result

    # ---- persistence -------------------------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready record a store persists (``seq`` is the store's, so it is left out).

        Raises :class:`~sessionforge.errors.RecordFormatError` naming the field when the metadata or
        the payload would not read back equal (a set, a tuple, a datetime, NaN, a lone surrogate):
        such values are refused rather than silently turned into something else.
        """
        self._check_values()
        data = self.model_dump(mode="json", exclude={"seq", "message"})
        if isinstance(self.message, ChatMessage):
            data["chat"] = self.message.to_dict()
        else:
            data["message"] = self.message
        return self._with_counts(data)

    def _check_values(self) -> None:
        """Refuse metadata or a (non-``ChatMessage``) payload that would not read back equal."""
        payload = () if isinstance(self.message, ChatMessage) else (("message", self.message),)
        for name, value in (("metadata", self.metadata), *payload):
            if _type_of(value) is str and text_problem(value) is None:
                continue  # a text payload: the one check find_problem would make
            problem = find_problem(value, path=name)
            if problem is not None:
                raise RecordFormatError(
                    f"event {self.id}: {problem.path}: {problem.reason}", field=problem.path
                )

    def _with_counts(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` with the exact text-token counts its projected messages hold now, if any."""
        cached = self.projection_cache
        if cached is None or cached[0] is not self.message or not cached[1]:
            return record
        counts = [persisted_counts(message.token_cache) for message in cached[1]]
        if any(counts):
            record[TOKENS_KEY] = counts
        return record

    def encoded_record(self) -> dict[str, Any]:
        """:meth:`to_record` with its JSON text, written once (what a save appends).

        For an event of plain parts (a text or JSON payload, not a ``ChatMessage``; ids and times of
        their own types) the record is assembled field by field, its metadata and payload pass the
        same checks as in :meth:`to_record`, and the whole is written in one call of orjson's writer
        (pydantic-core's for what orjson refuses): an :class:`EncodedRecord`, which the codec stores
        without serializing it again.
        Other events give :meth:`to_record`'s plain dict. Either way the record equals
        :meth:`to_record`'s (tested for every kind of event).
        """
        fields = self.__dict__  # read once: a turn writes a record per event
        usage, message, metadata = fields["token_usage"], fields["message"], fields["metadata"]
        source, kind, stamp, event_id = fields["source"], fields["type"], fields["timestamp"], fields["id"]
        if not (
            (usage is None or (_type_of(usage) is TokenUsage and _finite(usage.estimated_cost_usd)))
            and _type_of(source) is EventSource
            and _type_of(kind) is EventType
            and _type_of(stamp) is datetime
            and _type_of(event_id) is str
            and fields["parent_event_id"] is None
            and fields["task_id"] is None
            and not isinstance(message, ChatMessage)
        ):
            return self.to_record()
        # A text and flat metadata (a turn's): the record's nesting is known, the codec need not count it.
        flat = (
            _type_of(message) is str
            and text_problem(message) is None
            and _type_of(metadata) is dict
            and (not metadata or flat_and_plain(metadata))
        )
        if not flat:
            self._check_values()  # names what is wrong, or passes values that are fine
        record = {
            "id": event_id,
            "timestamp": _utc_text(stamp) if stamp.tzinfo is UTC else to_json(stamp)[1:-1].decode(),
            "source": source._value_,
            "type": kind._value_,
            "token_usage": None if usage is None else dict(usage.__dict__),
            "metadata": dict(metadata),
            "parent_event_id": None,
            "task_id": None,
            "message": message,
        }
        self._with_counts(record)
        try:
            # orjson writes the same compact UTF-8 JSON as pydantic-core for JSON values (all the
            # record holds after the checks above), about 4x faster on a turn's record.
            text = orjson.dumps(record)
        except TypeError:  # what orjson refuses (an int past 64 bits, a lone surrogate): pydantic-core
            try:
                text = to_json(record)
            except ValueError:  # a lone surrogate in the id, say: refused the usual way
                return self.to_record()
        return EncodedRecord(record, text, _FLAT_RECORD_DEPTH if flat else None)

    @classmethod
    def from_record(cls, record: dict[str, Any], seq: int | None = None) -> SessionEvent:
        """Inverse of :meth:`to_record`; raises ``pydantic.ValidationError`` or ``MessageFormatError``."""
        data = dict(record)
        chat = data.pop("chat", None)
        tokens = data.pop(TOKENS_KEY, None)
        if chat is not None:
            data["message"] = ChatMessage.from_dict(chat)
        data["seq"] = seq
        event = cls.model_validate(data)
        if tokens is not None:
            event.keep_stored_tokens(STORED_TOKENS.validate_python(tokens, strict=True))
        return event


def _event_private() -> dict[str, Any]:
    return {"_projection": None, "_stored_tokens": None}


fast_private_init(SessionEvent, _event_private)

StoredTokens = list[dict[str, NonNegativeInt]]
"""A record's :data:`TOKENS_KEY`: one ``{encoding: tokens}`` per projected message."""

STORED_TOKENS: TypeAdapter[StoredTokens] = TypeAdapter(StoredTokens)
"""Validates a record's :data:`TOKENS_KEY`."""


def _utc_text(stamp: datetime) -> str:
    """A UTC time as the model writes it (``...Z``, the fraction only when not zero): orjson writes
    it so, tested against pydantic-core over many times, in two thirds of the time."""
    return orjson.dumps(stamp, option=orjson.OPT_UTC_Z)[1:-1].decode()


def _finite(cost: float | None) -> bool:
    return cost is None or (_type_of(cost) is float and math.isfinite(cost))


_FLAT_RECORD_DEPTH = 3
"""Levels of nesting of the record of an event with a text payload and flat metadata: the record,
its ``text_tokens`` list, and the dicts in it (``token_usage`` and ``metadata`` are one level less)."""


class EncodedRecord(dict[str, Any]):
    """A record together with the JSON text it was read back from (``json``), which a store writes
    as is, and its levels of nesting (``depth``) when its writer knows them. Changing the record's
    keys drops the text (the codec then serializes the record and checks it as any other); its values
    are not to be changed in place."""

    __slots__ = ("depth", "json")

    def __init__(self, record: dict[str, Any], json: bytes | None, depth: int | None = None) -> None:
        super().__init__(record)
        self.json = json
        self.depth = depth

    def __setitem__(self, key: str, value: Any) -> None:
        self.json = None
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.json = None
        super().__delitem__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.json = None
        super().update(*args, **kwargs)

    def pop(self, *args: Any) -> Any:
        self.json = None
        return super().pop(*args)

    def popitem(self) -> tuple[str, Any]:
        self.json = None
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.json = None
        return super().setdefault(key, default)

    def clear(self) -> None:
        self.json = None
        super().clear()

    def __ior__(self, other: Any) -> EncodedRecord:  # type: ignore[override,misc]
        self.json = None
        super().__ior__(other)
        return self


def chat_message_event(message: ChatMessage, **extra: Any) -> SessionEvent:
    """The event that stores a ChatMessage (``ChatSession`` and the agents write these)."""
    source = {
        "user": EventSource.USER,
        "assistant": EventSource.LLM,
        "system": EventSource.SYSTEM,
        "tool": EventSource.SYSTEM,
    }[message.role]
    kind = EventType.TOOL_CALL if message.role == "tool" else EventType.MESSAGE
    return SessionEvent(message=message, source=source, type=kind, **extra)


def render_tool_result(result: Any) -> str:
    """A tool's result as the model reads it: text as is, anything else as JSON.

    Nested models and dataclasses are turned into JSON values first (``{"a": {"x": 1.0}}``, never
    ``{"a": "x=1.0"}``), and values JSON cannot hold fall back to their ``str``.
    """
    if isinstance(result, str):
        return result
    return json.dumps(to_jsonable_python(result, fallback=str), ensure_ascii=False)


def tool_call_event(
    tool: str,
    arguments: Any,
    result: Any = None,
    *,
    error: str | None = None,
    call_id: str | None = None,
    content: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> SessionEvent:
    """The ``TOOL_CALL`` event of one tool use, as every writer records it.

    ``content`` is what the model was shown when it differs from the rendered result (a preview of
    an offloaded output); the projection shows that, and the whole result stays in ``result``.
    """
    body: dict[str, Any] = {
        "tool": tool,
        "arguments": to_jsonable_python(arguments, fallback=str),
        "result": to_jsonable_python(result, fallback=str),
        "error": error,
        "call_id": call_id or f"call_{uuid.uuid4().hex[:12]}",
    }
    if content is not None:
        body["content"] = content
    return SessionEvent(
        source=EventSource.SYSTEM, type=EventType.TOOL_CALL, message=body, metadata=dict(metadata or {})
    )


def event_usage(event: SessionEvent) -> TokenUsage | None:
    """What producing ``event`` cost: its ``token_usage``, or the usage an agent stored with a reply."""
    if event.token_usage is not None:
        return event.token_usage
    payload = event.message
    if isinstance(payload, ChatMessage) and payload.role == "assistant":
        stored = payload.metadata.get(USAGE_KEY)
        if isinstance(stored, dict):
            try:
                return TokenUsage.model_validate(stored)
            except ValueError:
                return None
    return None
