"""forge_llm's content blocks (``forge_llm.domain.value_objects.content``), over sessionforge's message parts.

Each block converts to the part sessionforge stores and sends (:meth:`to_part`), and back
(:meth:`from_part`). Their provider formats come from sessionforge's own wire mapping, so a block
looks on the wire exactly as the agent sends it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

from sessionforge.core.messages import AudioPart, ContentPart, ImagePart, TextPart
from sessionforge.errors import MessageFormatError
from sessionforge.providers import anthropic, openai

from .exceptions import translating

__all__ = ["AudioContent", "ContentBlock", "ImageContent", "TextContent", "block_from_part"]

Detail = Literal["auto", "low", "high"]


@dataclass(frozen=True)
class TextContent:
    """A piece of text."""

    text: str

    def to_part(self) -> TextPart:
        return TextPart(text=self.text)

    def to_openai_format(self) -> dict[str, Any]:
        return openai.content_part_to_wire(self.to_part())

    def to_anthropic_format(self) -> dict[str, Any]:
        return anthropic.content_part_to_wire(self.to_part())

    def to_dict(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


@dataclass(frozen=True)
class ImageContent:
    """An image by URL or as base64 data with its media type; ``detail`` is OpenAI's resolution hint."""

    source_type: Literal["url", "base64"]
    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    detail: Detail = "auto"

    def __post_init__(self) -> None:
        if self.source_type == "url" and not self.url:
            raise MessageFormatError("url is required when source_type is 'url'", field="url")
        if self.source_type == "base64":
            if not self.data:
                raise MessageFormatError("data is required when source_type is 'base64'", field="data")
            if not self.media_type:
                raise MessageFormatError(
                    "media_type is required when source_type is 'base64' (e.g. 'image/png')",
                    field="media_type",
                )

    @classmethod
    def from_url(cls, url: str, detail: Detail = "auto") -> ImageContent:
        return cls(source_type="url", url=url, detail=detail)

    @classmethod
    def from_base64(cls, data: str, media_type: str, detail: Detail = "auto") -> ImageContent:
        return cls(source_type="base64", data=data, media_type=media_type, detail=detail)

    def to_part(self) -> ImagePart:
        if self.source_type == "url":
            return ImagePart(url=self.url or "", detail=self.detail)
        return ImagePart(
            url=f"data:{self.media_type};base64,{self.data}", media_type=self.media_type, detail=self.detail
        )

    @classmethod
    def from_part(cls, part: ImagePart) -> ImageContent:
        if not part.url.startswith("data:"):
            return cls.from_url(part.url, part.detail)
        header, _, data = part.url.partition(",")
        media_type = part.media_type or header[5:].split(";", 1)[0] or "image/png"
        if ";base64" not in header:
            data = base64.b64encode(data.encode()).decode()
        return cls.from_base64(data, media_type, part.detail)

    def to_openai_format(self) -> dict[str, Any]:
        return openai.content_part_to_wire(self.to_part())

    def to_anthropic_format(self) -> dict[str, Any]:
        return anthropic.content_part_to_wire(self.to_part())

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"type": "image", "source_type": self.source_type}
        for key in ("url", "data", "media_type"):
            if getattr(self, key):
                result[key] = getattr(self, key)
        if self.detail != "auto":
            result["detail"] = self.detail
        return result


@dataclass(frozen=True)
class AudioContent:
    """A recording as base64 data, ``wav`` or ``mp3``: OpenAI's audio models take it, Anthropic does not."""

    data: str
    format: Literal["wav", "mp3"]

    def __post_init__(self) -> None:
        if not self.data:
            raise MessageFormatError("data is required for AudioContent", field="data")
        if self.format not in ("wav", "mp3"):
            raise MessageFormatError(f"format must be 'wav' or 'mp3', got {self.format!r}", field="format")

    @classmethod
    def from_base64(cls, data: str, format: Literal["wav", "mp3"]) -> AudioContent:
        return cls(data=data, format=format)

    @classmethod
    def from_file(cls, path: str | Path) -> AudioContent:
        """Read a ``.wav`` or ``.mp3`` file (the extension says which)."""
        suffix = Path(path).suffix.lower()
        if suffix not in (".wav", ".mp3"):
            raise MessageFormatError(f"an audio file must be .wav or .mp3, got {str(path)!r}", field="path")
        data = base64.b64encode(Path(path).read_bytes()).decode()
        return cls(data=data, format="wav" if suffix == ".wav" else "mp3")

    def to_part(self) -> AudioPart:
        return AudioPart(data=self.data, format=self.format)

    def to_openai_format(self) -> dict[str, Any]:
        return openai.content_part_to_wire(self.to_part())

    def to_anthropic_format(self) -> dict[str, Any]:
        """Raises ``UnsupportedFeatureError``: Anthropic takes no audio input."""
        with translating():
            return anthropic.content_part_to_wire(self.to_part())

    def to_dict(self) -> dict[str, Any]:
        return {"type": "audio", "data": self.data, "format": self.format}


ContentBlock: TypeAlias = TextContent | ImageContent | AudioContent


def block_from_part(part: ContentPart) -> ContentBlock:
    """The content block for one of sessionforge's message parts."""
    if isinstance(part, ImagePart):
        return ImageContent.from_part(part)
    if isinstance(part, AudioPart):
        return AudioContent(data=part.data, format=part.format)
    return TextContent(text=part.text)
