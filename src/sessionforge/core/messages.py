"""The one message model every part of sessionforge speaks.

A :class:`ChatMessage` is a value: role, content, tool calls. Identity (event id, sequence number,
parent) belongs to the stored event that carries it, not to the message. Provider adapters map this
model to and from their wire formats; stores persist it through :meth:`ChatMessage.to_dict`, a stable
JSON shape with a ``schema_version``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError, model_validator

from ..errors import MessageFormatError

__all__ = [
    "MESSAGE_SCHEMA_VERSION",
    "AudioPart",
    "ChatMessage",
    "ContentPart",
    "ImagePart",
    "Role",
    "TextPart",
    "ToolCall",
]

MESSAGE_SCHEMA_VERSION = 1
"""Version of the JSON shape written by :meth:`ChatMessage.to_dict`; bumped only with a migration."""

Role = Literal["system", "user", "assistant", "tool"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class TextPart(BaseModel):
    """A piece of text inside a multi-part message."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["text"] = "text"
    text: str


class ImagePart(BaseModel):
    """An image, by URL (``https:`` or ``data:``). Counted as a fixed token cost, never dropped silently."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["image"] = "image"
    url: str
    media_type: str | None = None
    detail: Literal["auto", "low", "high"] = "auto"


class AudioPart(BaseModel):
    """A recording, base64-encoded, for models that listen (OpenAI's audio models); Anthropic refuses it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["audio"] = "audio"
    data: str
    format: Literal["wav", "mp3"]


ContentPart = Annotated[TextPart | ImagePart | AudioPart, Field(discriminator="kind")]


class ToolCall(BaseModel):
    """A request from the model to run a tool. ``arguments`` is the decoded JSON object."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)

    @property
    def arguments_json(self) -> str:
        """The arguments as the compact JSON string that OpenAI's wire format carries."""
        return json.dumps(self.arguments, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class ChatMessage(BaseModel):
    """One message of a conversation.

    ``content`` is plain text, a list of parts (text, images, audio), or ``None`` for an assistant message
    that only calls tools. A ``tool`` message answers exactly one tool call, named by ``tool_call_id``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    content: str | list[ContentPart] | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
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
            raise ValueError("a tool message needs the tool_call_id of the call it answers")
        if self.tool_calls and self.role != "assistant":
            raise ValueError("only assistant messages carry tool_calls")
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
        try:
            return _MESSAGE_ADAPTER.validate_python(payload)
        except ValidationError as exc:
            raise _format_error(exc) from exc


_MESSAGE_ADAPTER: TypeAdapter[ChatMessage] = TypeAdapter(ChatMessage)


def _format_error(exc: ValidationError) -> MessageFormatError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    where = f"field {field!r}" if field else "message"
    return MessageFormatError(
        f"malformed message: {where}: {first['msg']} (got {first.get('input')!r:.80})", field=field
    )
