"""The one message model every part of sessionforge speaks.

A :class:`ChatMessage` is a value: role, content, tool calls. Identity (event id, sequence number,
parent) belongs to the stored event that carries it, not to the message. Provider adapters map this
model to and from their wire formats; stores persist it through :meth:`ChatMessage.to_dict`, a stable
JSON shape with a ``schema_version``.

A message that exists can be stored: construction refuses, with a
:class:`~sessionforge.errors.MessageFormatError` naming the field, what a store could not keep as it
is (text that is not valid Unicode, metadata or tool arguments that are not JSON or are nested too
deeply), a role that does not exist, and a user, system or tool message without content. Direct
constructors raise it too, never pydantic's own ``ValidationError``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from ..errors import MessageFormatError
from .construct import assemble, fast_private_init
from .jsonvalue import find_problem, shown_path, text_problem

__all__ = [
    "MESSAGE_SCHEMA_VERSION",
    "AudioPart",
    "ChatMessage",
    "ContentPart",
    "ImagePart",
    "Role",
    "TextPart",
    "ToolCall",
    "message_payload",
]

MESSAGE_SCHEMA_VERSION = 1
"""Version of the JSON shape written by :meth:`ChatMessage.to_dict`; bumped only with a migration."""
MAX_VALUE_DEPTH = 100
"""Nesting a message's ``metadata`` and a tool call's ``arguments`` may have: inside a stored record
they stay within the codec's limit (:data:`sessionforge.core.jsonvalue.MAX_DEPTH`)."""

Role = Literal["system", "user", "assistant", "tool"]
_TEXT_ROLES = frozenset({"system", "user", "assistant"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _as_format_error(what: str) -> Iterator[None]:
    """pydantic's ValidationError, raised inside, becomes our MessageFormatError naming the field."""
    try:
        yield
    except ValidationError as exc:
        raise _format_error(exc, what) from exc


if TYPE_CHECKING:  # type checkers keep pydantic's typed constructors
    _Meta = type
else:

    class _Meta(type(BaseModel)):
        """Pydantic's metaclass, with direct construction raising MessageFormatError.

        Wrapping the call, not ``__init__``: a model that overrides ``__init__`` makes pydantic run
        Python code for every nested part, which halves the speed of reading messages back.
        """

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            with _as_format_error(cls.__name__):
                return super().__call__(*args, **kwargs)


class _Value(BaseModel, metaclass=_Meta):
    """A frozen model whose constructors and assignments raise MessageFormatError."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    if not TYPE_CHECKING:

        def __setattr__(self, name: str, value: Any) -> None:
            with _as_format_error(type(self).__name__):
                super().__setattr__(name, value)

        @classmethod
        def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
            with _as_format_error(cls.__name__):
                return super().model_validate(obj, *args, **kwargs)

        @classmethod
        def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Any:
            with _as_format_error(cls.__name__):
                return super().model_validate_json(json_data, *args, **kwargs)


def _encodable(value: str) -> str:
    if (reason := text_problem(value)) is not None:
        raise MessageFormatError(reason)
    return value


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    if value and (problem := find_problem(value, max_depth=MAX_VALUE_DEPTH)) is not None:
        raise MessageFormatError(problem.reason, field=problem.path or None)
    return value


# Field validators, not model validators: pydantic runs them only when a field is validated, not
# again each time a part or tool call already built is placed in a message.
Text = Annotated[str, AfterValidator(_encodable)]
"""Text a store can encode (no lone surrogates)."""
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]
"""A JSON object that reads back equal (see :mod:`sessionforge.core.jsonvalue`)."""


class TextPart(_Value):
    """A piece of text inside a multi-part message."""

    kind: Literal["text"] = "text"
    text: Text


class ImagePart(_Value):
    """An image, by URL (``https:`` or ``data:``). Counted as a fixed token cost, never dropped silently."""

    kind: Literal["image"] = "image"
    url: Text
    media_type: Text | None = None
    detail: Literal["auto", "low", "high"] = "auto"


class AudioPart(BaseModel):
    """A recording, base64-encoded, for models that listen (OpenAI's audio models); Anthropic refuses it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["audio"] = "audio"
    data: str
    format: Literal["wav", "mp3"]


ContentPart = Annotated[TextPart | ImagePart | AudioPart, Field(discriminator="kind")]


class ToolCall(_Value):
    """A request from the model to run a tool. ``arguments`` is the decoded JSON object."""

    id: Text = Field(min_length=1)
    name: Text = Field(min_length=1)
    arguments: JsonObject = Field(default_factory=dict)

    @property
    def arguments_json(self) -> str:
        """The arguments as the compact JSON string that OpenAI's wire format carries."""
        return json.dumps(self.arguments, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class ChatMessage(_Value):
    """One message of a conversation.

    ``content`` is plain text, a list of parts (text, images, audio), or ``None`` for an assistant message
    that only calls tools. A ``tool`` message answers exactly one tool call, named by ``tool_call_id``.
    """

    role: Role
    content: Text | list[ContentPart] | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: Text | None = None
    name: Text | None = None
    metadata: JsonObject = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=_utcnow)

    # Token counts per counter key, filled lazily by the counter: a message is tokenized once.
    _token_cache: dict[str, int] = PrivateAttr(default_factory=dict)

    # ---- constructors --------------------------------------------------------------------------

    @classmethod
    def system(cls, content: str, **extra: Any) -> ChatMessage:
        return cls(role="system", content=content, **extra)

    @classmethod
    def user(cls, content: str | list[ContentPart], **extra: Any) -> ChatMessage:
        return cls(role="user", content=content, **extra)

    @classmethod
    def assistant(
        cls,
        content: str | None = None,
        tool_calls: list[ToolCall] | None = None,
        **extra: Any,
    ) -> ChatMessage:
        return cls(role="assistant", content=content, tool_calls=tool_calls or [], **extra)

    @classmethod
    def tool(cls, content: str, tool_call_id: str, name: str | None = None, **extra: Any) -> ChatMessage:
        return cls(role="tool", content=content, tool_call_id=tool_call_id, name=name, **extra)

    @classmethod
    def of_text(cls, role: Role, text: str, created_at: datetime | None = None) -> ChatMessage:
        """A plain-text message, equal to ``cls(role=role, content=text)`` (dated ``created_at``,
        else now): the text is checked (it must be encodable) and the message assembled without
        pydantic's validation pass, which costs more than the rest of recording a turn. Anything else
        (a tool message, a non-string) is validated as usual, and refused with
        :class:`MessageFormatError`."""
        if (
            role in _TEXT_ROLES
            and type(text) is str
            and text_problem(text) is None
            and (created_at is None or isinstance(created_at, datetime))
        ):
            fields: dict[str, Any] = {
                "role": role,
                "content": text,
                "tool_calls": [],
                "tool_call_id": None,
                "name": None,
                "metadata": {},
                "created_at": _utcnow() if created_at is None else created_at,
            }
            return assemble(cls, fields, {"role", "content"}, _message_private())
        dated = {} if created_at is None else {"created_at": created_at}
        return cls(role=role, content=text, **dated)

    @property
    def token_cache(self) -> dict[str, int]:
        """Token counts per tokenizer, filled by the counters (read through the private-state dict:
        pydantic's attribute hook costs ~30x more, and budget checks read this on every message)."""
        private = self.__pydantic_private__
        assert private is not None
        cache: dict[str, int] = private["_token_cache"]
        return cache

    # ---- reading -------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """All text of the message joined; images and audio contribute nothing."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content if isinstance(part, TextPart))

    @model_validator(mode="after")
    def _check_role_fields(self) -> ChatMessage:
        if self.role == "tool" and not self.tool_call_id:
            raise MessageFormatError(
                "a tool message needs the tool_call_id of the call it answers", field="tool_call_id"
            )
        if self.tool_calls and self.role != "assistant":
            raise MessageFormatError("only assistant messages carry tool_calls", field="tool_calls")
        if self.content is None and self.role != "assistant":
            raise MessageFormatError(
                f"a {self.role} message needs content (text or parts); only an assistant message may "
                f"have none",
                field="content",
            )
        return self

    def __eq__(self, other: object) -> bool:
        # Equal as values: the token cache is a memo, not part of the message.
        if not isinstance(other, ChatMessage):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    # ---- serialization -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A stable, versioned JSON-ready dict; :meth:`from_dict` reads it back field for field."""
        data = self.model_dump(mode="json", exclude_defaults=False)
        data["schema_version"] = MESSAGE_SCHEMA_VERSION
        return data

    @classmethod
    def from_dict(cls, data: Any) -> ChatMessage:
        """Build a message from :meth:`to_dict` output (or a plain ``{"role", "content"}`` dict).

        Raises :class:`MessageFormatError` naming the first bad field.
        """
        payload = message_payload(data)
        with _as_format_error("ChatMessage"):
            return _MESSAGE_ADAPTER.validate_python(payload)


def message_payload(data: Any) -> dict[str, Any]:
    """The fields of a stored message, its ``schema_version`` checked and taken out: what
    :meth:`ChatMessage.from_dict` validates, and what a batch of records hands to one validation call.

    Raises :class:`MessageFormatError` for a non-dict or a schema newer than this sessionforge reads.
    """
    if not isinstance(data, dict):
        raise MessageFormatError(f"a message must be a dict, got {type(data).__name__}", field=None)
    payload = dict(data)
    version = payload.pop("schema_version", MESSAGE_SCHEMA_VERSION)
    if not isinstance(version, int) or version > MESSAGE_SCHEMA_VERSION:
        raise MessageFormatError(
            f"message schema_version {version!r} is newer than this sessionforge understands "
            f"({MESSAGE_SCHEMA_VERSION}); upgrade sessionforge to read it",
            field="schema_version",
        )
    return payload


def _message_private() -> dict[str, Any]:
    return {"_token_cache": {}}


fast_private_init(ChatMessage, _message_private)

_MESSAGE_ADAPTER: TypeAdapter[ChatMessage] = TypeAdapter(ChatMessage)


def _format_error(exc: ValidationError, what: str = "message") -> MessageFormatError:
    """The first problem pydantic found, as a MessageFormatError naming the field's dotted path."""
    errors = exc.errors()
    # A value that fits no member of a union (content: text or parts) gets one error per member;
    # the one that went deepest is about the member the caller meant.
    first = max(errors, key=lambda e: len(e["loc"])) if len(errors) > 1 else errors[0]
    location = _path(first["loc"])
    inner = (first.get("ctx") or {}).get("error")
    if isinstance(inner, MessageFormatError):  # raised by one of our validators, with its own field
        location += [inner.field] if inner.field else []
        reason = str(inner)
    else:
        reason = f"{first['msg']} (got {first.get('input')!r:.80})"
    field = ".".join(location) or None
    where = f"field {shown_path(field)!r}" if field else _noun(what)
    return MessageFormatError(f"malformed {_noun(what)}: {where}: {reason}", field=field)


def _path(loc: tuple[int | str, ...]) -> list[str]:
    """pydantic's location without its labels for union members (``function-after[...]``,
    ``list[...]``) and for the tag of a part (``content.1.text.text`` is ``content.1.text``)."""
    out: list[str] = []
    items = [p for p in loc if not (isinstance(p, str) and "[" in p)]
    for i, item in enumerate(items):
        tag_of_part = item in ("text", "image") and 0 < i < len(items) - 1 and isinstance(items[i - 1], int)
        if not tag_of_part:
            out.append(str(item))
    return out


def _noun(what: str) -> str:
    return {
        "ChatMessage": "message",
        "ToolCall": "tool call",
        "TextPart": "text part",
        "ImagePart": "image part",
    }.get(what, what)
