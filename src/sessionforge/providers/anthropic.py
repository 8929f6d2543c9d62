"""Anthropic Messages: the wire format, and a client over the official ``anthropic`` SDK.

The Messages API differs from Chat Completions in ways the mapping absorbs, so that one session can
move between providers: the system prompt is its own field; tool calls are ``tool_use`` blocks of an
assistant message and their results ``tool_result`` blocks of a user message; roles must alternate
(consecutive same-role messages are merged) and the first message must come from the user.

Messages written by other servers are made acceptable on the way out: a tool-call id outside
Anthropic's ``^[a-zA-Z0-9_-]+$`` (``functions.add:0``, as some compatible servers emit) or repeated in
the conversation is mapped to a valid, unique one, the same way for the call and its result, so the
stored session keeps its ids; a text of only whitespace is no block (Anthropic refuses it).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from ..core.messages import AudioPart, ChatMessage, ContentPart, ImagePart, TextPart, ToolCall
from ..errors import UnsupportedFeatureError
from ._errors import map_sdk_errors
from .base import RAW_ARGUMENTS_KEY, ChatRequest, ChatResponse, FinishReason
from .openai import new_call_id
from .options import anthropic_tool_choice, apply_options
from .pricing import Price, WireReply, priced_reply
from .sdk import SDKAdapter, WireFormat

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "AnthropicProvider",
    "StreamAssembler",
    "ToolIds",
    "content_part_to_wire",
    "from_wire",
    "map_errors",
    "to_wire",
]

PATH = "/v1/messages"

DEFAULT_MAX_TOKENS = 4096
"""The Messages API requires a reply limit; this one is used when the caller sets none."""

OPENING_USER_TEXT = "(conversation continues)"
"""Sent as the first user message when a conversation would otherwise open with the assistant."""

_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


_VALID_ID = re.compile(r"^[a-zA-Z0-9_-]+$")

# ---- wire format (pure) --------------------------------------------------------------------------


class ToolIds:
    """Tool-call ids as Anthropic accepts them, for one request.

    A valid id that is new in the conversation is kept. Any other gets a deterministic one: invalid
    characters become ``_`` and a hash of the original is appended (``functions.add:0`` becomes
    ``functions_add_0_<hash>``), and a repeat gets its occurrence number too. A tool result is
    matched to the latest call with its id, so a result always points at the call it answers.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}
        self._current: dict[str, str] = {}
        self._used: set[str] = set()

    def call(self, original: str) -> str:
        count = self._seen[original] = self._seen.get(original, 0) + 1
        wire = original if count == 1 and _VALID_ID.match(original) else self._mapped(original, count)
        while wire in self._used:
            count += 1
            wire = self._mapped(original, count)
        self._used.add(wire)
        self._current[original] = wire
        return wire

    def result(self, original: str | None) -> str:
        key = original or ""
        return self._current.get(key) or (key if _VALID_ID.match(key) else self._mapped(key, 1))

    @staticmethod
    def _mapped(original: str, count: int) -> str:
        digest = hashlib.sha256(original.encode()).hexdigest()[:8]
        stem = re.sub(r"[^a-zA-Z0-9_-]", "_", original)[:40] or "call"
        return f"{stem}_{digest}" if count == 1 else f"{stem}_{digest}_{count}"


def _image_block(part: ImagePart) -> dict[str, Any]:
    if part.url.startswith("data:"):
        header, _, data = part.url.partition(",")
        media_type = part.media_type or header[5:].split(";", 1)[0] or "image/png"
        if ";base64" not in header:
            data = base64.b64encode(data.encode()).decode()
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": part.url}}


def content_part_to_wire(part: ContentPart) -> dict[str, Any]:
    """One part of a multi-part message as a Messages API content block.

    Raises :class:`UnsupportedFeatureError` for audio: the Messages API takes no audio input.
    """
    if isinstance(part, ImagePart):
        return _image_block(part)
    if isinstance(part, AudioPart):
        raise UnsupportedFeatureError(
            "Anthropic's Messages API takes no audio input: send audio to an OpenAI audio model, or "
            "transcribe it first",
            feature="audio input",
            provider="anthropic",
        )
    return {"type": "text", "text": part.text}


def _blocks(message: ChatMessage, ids: ToolIds) -> list[dict[str, Any]]:
    if message.role == "tool":
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": ids.result(message.tool_call_id),
            "content": message.text,
        }
        if message.metadata.get("is_error"):
            block["is_error"] = True
        return [block]
    blocks: list[dict[str, Any]] = []
    if isinstance(message.content, str):
        if message.content.strip():
            blocks.append({"type": "text", "text": message.content})
    elif message.content is not None:
        blocks.extend(
            content_part_to_wire(part)
            for part in message.content
            if not isinstance(part, TextPart) or part.text.strip()
        )
    for call in message.tool_calls:
        arguments = {} if RAW_ARGUMENTS_KEY in call.arguments else call.arguments
        blocks.append({"type": "tool_use", "id": ids.call(call.id), "name": call.name, "input": arguments})
    return blocks


def to_wire(request: ChatRequest, *, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The body of a ``POST /v1/messages`` request.

    ``options`` are extra body fields; a neutral or Chat Completions ``tool_choice`` is spelled the
    Messages way, and dropped when the request offers no tools.
    """
    messages, tools = request.messages, request.tools
    system = "\n\n".join(m.text for m in messages if m.role == "system" and m.text.strip())
    turns: list[dict[str, Any]] = []
    ids = ToolIds()
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message, ids)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": [{"type": "text", "text": OPENING_USER_TEXT}]})
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": turns,
    }
    if system:
        body["system"] = system
    if tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
        ]
    return apply_options(
        body,
        options,
        has_tools=bool(tools),
        tool_choice=anthropic_tool_choice,
        temperature=request.temperature,
    )


def from_wire(
    raw: Mapping[str, Any], *, provider: str = "anthropic", price: Price | None = None
) -> ChatResponse:
    """A :class:`ChatResponse` from a Messages response body (priced with ``price``, or from the
    registry when it is ``None``)."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in raw.get("content") or []:
        if block.get("type") == "text":
            texts.append(block.get("text") or "")
        elif block.get("type") == "tool_use":
            arguments = block.get("input")
            calls.append(
                ToolCall(
                    id=block.get("id") or new_call_id(),
                    name=block["name"],
                    arguments=arguments
                    if isinstance(arguments, dict)
                    else {RAW_ARGUMENTS_KEY: str(arguments)},
                )
            )
    usage = raw.get("usage") or {}
    prompt = sum(
        int(usage.get(key) or 0)
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    tokens = (prompt, int(usage.get("output_tokens") or 0))
    finish = _FINISH.get(str(raw.get("stop_reason")), "unknown")
    reply = WireReply("".join(texts), calls, tokens, finish)
    return priced_reply(raw, reply, provider=provider, price=price)


class StreamAssembler:
    """Folds streamed events into the message they add up to, returning text as it comes."""

    def __init__(self, *, provider: str = "anthropic", price: Price | None = None) -> None:
        self.provider = provider
        self.price = price
        self._message: dict[str, Any] = {"content": [], "usage": {}}
        self._json: dict[int, str] = {}

    @property
    def usage_reported(self) -> bool:
        """Whether the stream carried usage (Anthropic's always does; a compatible server may not)."""
        return bool(self._message["usage"])

    def feed(self, event: Mapping[str, Any]) -> str | None:
        """Take one event; return its new text, if any."""
        kind = event.get("type")
        if kind == "message_start":
            start = dict(event.get("message") or {})
            self._message.update({k: v for k, v in start.items() if k not in ("content", "usage")})
            self._message["usage"].update(start.get("usage") or {})
        elif kind == "content_block_start":
            block = dict(event.get("content_block") or {})
            self._message["content"].append(block)
        elif kind == "content_block_delta":
            index = int(event.get("index") or 0)
            delta = event.get("delta") or {}
            block = self._message["content"][index]
            if delta.get("type") == "text_delta":
                block["text"] = (block.get("text") or "") + delta["text"]
                return str(delta["text"])
            if delta.get("type") == "input_json_delta":
                self._json[index] = self._json.get(index, "") + (delta.get("partial_json") or "")
        elif kind == "message_delta":
            self._message.update({k: v for k, v in (event.get("delta") or {}).items() if v is not None})
            self._message["usage"].update(
                {k: v for k, v in (event.get("usage") or {}).items() if v is not None}
            )
        return None

    def result(self) -> ChatResponse:
        import json

        for index, text in self._json.items():
            block = self._message["content"][index]
            try:
                block["input"] = json.loads(text) if text else {}
            except json.JSONDecodeError:
                block["input"] = text
        return from_wire(self._message, provider=self.provider, price=self.price)


# ---- errors --------------------------------------------------------------------------------------


def map_errors(provider: str, *, midstream: bool = False) -> AbstractContextManager[None]:
    """Translate the ``anthropic`` SDK's exceptions into ours, chained (see :func:`map_sdk_errors`)."""
    return map_sdk_errors("anthropic", provider, midstream=midstream)


# ---- the client ----------------------------------------------------------------------------------


class AnthropicProvider(SDKAdapter):
    """The Messages API over ``Anthropic``/``AsyncAnthropic``.

    The key and base URL come from the arguments, else ``ANTHROPIC_API_KEY``/``ANTHROPIC_BASE_URL``.
    Retries of 429/5xx/timeouts are the SDK's own.
    """

    path = PATH
    sdk = "anthropic"
    sdk_client = "Anthropic"
    wire = WireFormat(to_wire, from_wire, StreamAssembler)
