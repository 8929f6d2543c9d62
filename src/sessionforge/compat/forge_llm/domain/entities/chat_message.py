"""forge_llm's ``ChatMessage``: a dataclass whose tool calls are OpenAI-style dicts.

It converts to and from sessionforge's one message model (:meth:`ChatMessage.to_native`,
:meth:`ChatMessage.from_native`); sessions and agents hold sessionforge messages and hand these out.
:meth:`ChatMessage.to_dict` writes forge_llm's shape (only the fields that are set, content blocks
in forge_llm's canonical form), which :meth:`ChatMessage.from_dict` reads back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sessionforge.core import messages as native
from sessionforge.errors import MessageFormatError
from sessionforge.providers.base import RAW_ARGUMENTS_KEY

from .._blocks import AudioContent, ContentBlock, ImageContent, TextContent, block_from_part
from ..exceptions import translating

__all__ = ["ChatMessage"]

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class ChatMessage:
    """One message: ``content`` is text, a list of content blocks, or ``None`` (a tool-calling reply)."""

    role: Role
    content: str | list[ContentBlock] | None
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None

    # ---- constructors ------------------------------------------------------------------------------

    @classmethod
    def user(cls, content: str, name: str | None = None) -> ChatMessage:
        return cls(role="user", content=content, name=name)

    @classmethod
    def assistant(cls, content: str | None, tool_calls: list[dict[str, Any]] | None = None) -> ChatMessage:
        return cls(role="assistant", content=content, tool_calls=tool_calls)

    @classmethod
    def system(cls, content: str) -> ChatMessage:
        return cls(role="system", content=content)

    @classmethod
    def tool(cls, content: str, tool_call_id: str) -> ChatMessage:
        return cls(role="tool", content=content, tool_call_id=tool_call_id)

    @classmethod
    def user_with_image(cls, text: str, image: ImageContent, name: str | None = None) -> ChatMessage:
        return cls._user_with(text, [image], name)

    @classmethod
    def user_with_images(cls, text: str, images: list[ImageContent], name: str | None = None) -> ChatMessage:
        return cls._user_with(text, images, name)

    @classmethod
    def user_with_audio(cls, text: str, audio: AudioContent, name: str | None = None) -> ChatMessage:
        return cls._user_with(text, [audio], name)

    @classmethod
    def user_with_audios(cls, text: str, audios: list[AudioContent], name: str | None = None) -> ChatMessage:
        return cls._user_with(text, audios, name)

    @classmethod
    def _user_with(cls, text: str, media: Sequence[ContentBlock], name: str | None) -> ChatMessage:
        """A user message of ``text`` followed by ``media`` blocks: what every ``user_with_*`` builds."""
        return cls(role="user", content=[TextContent(text=text), *media], name=name)

    # ---- reading -----------------------------------------------------------------------------------

    @property
    def has_images(self) -> bool:
        return isinstance(self.content, list) and any(isinstance(b, ImageContent) for b in self.content)

    @property
    def has_audio(self) -> bool:
        return isinstance(self.content, list) and any(isinstance(b, AudioContent) for b in self.content)

    @property
    def text_content(self) -> str:
        """The text of the message; the text blocks of a multimodal one joined by spaces."""
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            return " ".join(b.text for b in self.content if isinstance(b, TextContent))
        return ""

    @property
    def text(self) -> str:
        """All text of the message, blocks joined without a separator (sessionforge's ``text``)."""
        if isinstance(self.content, list):
            return "".join(b.text for b in self.content if isinstance(b, TextContent))
        return self.content or ""

    # ---- forge_llm's dict shape --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """``{"role": ..., "content": ...}`` plus ``name``, ``tool_calls``, ``tool_call_id`` when set."""
        result: dict[str, Any] = {"role": self.role}
        if isinstance(self.content, list):
            result["content"] = [block.to_dict() for block in self.content]
        elif self.content is not None:
            result["content"] = self.content
        for key in ("name", "tool_calls", "tool_call_id"):
            if getattr(self, key) is not None:
                result[key] = getattr(self, key)
        return result

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        """Read :meth:`to_dict` output. An unknown block ``type`` is an ``InvalidMessageError``."""
        with translating():
            if not isinstance(data, dict) or "role" not in data:
                raise MessageFormatError("a message dict needs a 'role'", field="role")
            content = data.get("content")
            if isinstance(content, list):
                content = [_block_from_dict(block, index) for index, block in enumerate(content)] or None
            return cls(
                role=data["role"],
                content=content,
                name=data.get("name"),
                tool_calls=data.get("tool_calls"),
                tool_call_id=data.get("tool_call_id"),
            )

    # ---- sessionforge's model ----------------------------------------------------------------------

    def to_native(self) -> native.ChatMessage:
        """The same message in sessionforge's model; a malformed one raises ``InvalidMessageError``."""
        with translating():
            content: str | list[native.ContentPart] | None
            if isinstance(self.content, list):
                content = [block.to_part() for block in self.content]
            else:
                content = self.content
            data: dict[str, Any] = {
                "role": self.role,
                "content": content,
                "tool_calls": [_native_call(call, i) for i, call in enumerate(self.tool_calls or [])],
                "tool_call_id": self.tool_call_id,
                "name": self.name,
            }
            try:
                return native.ChatMessage.model_validate(data)
            except ValueError as exc:
                raise MessageFormatError(f"malformed message: {exc}") from exc

    @classmethod
    def from_native(cls, message: native.ChatMessage) -> ChatMessage:
        content: str | list[ContentBlock] | None
        if isinstance(message.content, list):
            content = [block_from_part(part) for part in message.content]
        else:
            content = message.content
        calls = [_forge_call(call) for call in message.tool_calls] or None
        return cls(
            role=message.role,
            content=content,
            name=message.name,
            tool_calls=calls,
            tool_call_id=message.tool_call_id,
        )


def _block_from_dict(block: Any, index: int) -> ContentBlock:
    field = f"content.{index}"
    if not isinstance(block, dict):
        raise MessageFormatError(f"a content block must be a dict, got {type(block).__name__}", field=field)
    kind = block.get("type")
    if kind == "text":
        return TextContent(text=block.get("text", ""))
    if kind == "image":
        if block.get("source_type", "url") == "url":
            return ImageContent.from_url(block.get("url", ""), block.get("detail", "auto"))
        return ImageContent.from_base64(
            block.get("data", ""), block.get("media_type", "image/jpeg"), block.get("detail", "auto")
        )
    if kind == "audio":
        return AudioContent.from_base64(block.get("data", ""), block.get("format", "wav"))
    raise MessageFormatError(f"unknown content block type {kind!r}: use text, image or audio", field=field)


def _native_call(call: dict[str, Any], index: int) -> native.ToolCall:
    field = f"tool_calls.{index}"
    if not isinstance(call, dict):
        raise MessageFormatError(f"a tool call must be a dict, got {type(call).__name__}", field=field)
    function = call.get("function") or {}
    raw = function.get("arguments", "{}")
    arguments: dict[str, Any]
    if isinstance(raw, dict):
        arguments = raw
    else:
        try:
            decoded = json.loads(raw or "{}")
        except (TypeError, json.JSONDecodeError):
            decoded = None
        arguments = decoded if isinstance(decoded, dict) else {RAW_ARGUMENTS_KEY: str(raw)}
    try:
        return native.ToolCall(id=call.get("id", ""), name=function.get("name", ""), arguments=arguments)
    except ValueError as exc:
        raise MessageFormatError(f"malformed tool call: {exc}", field=field) from exc


def _forge_call(call: native.ToolCall) -> dict[str, Any]:
    raw = call.arguments.get(RAW_ARGUMENTS_KEY)
    arguments = raw if isinstance(raw, str) else call.arguments_json
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments}}
