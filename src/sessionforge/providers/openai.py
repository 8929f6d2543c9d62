"""OpenAI Chat Completions: the wire format, and a client over the official ``openai`` SDK.

The wire format (``to_wire``, ``from_wire``, :class:`StreamAssembler`) is pure and is shared by every
server that speaks it: OpenAI itself, Ollama, OpenRouter, vLLM, the embedded model. Which server is
reached is only a ``base_url`` and a key, chosen in :mod:`sessionforge.providers`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Unpack
from urllib.parse import urlsplit

from ..core.messages import AudioPart, ChatMessage, ContentPart, ImagePart, ToolCall
from ..tools.registry import ToolSchema
from ._errors import map_sdk_errors
from .base import RAW_ARGUMENTS_KEY, ChatRequest, ChatResponse, FinishReason
from .options import apply_options, openai_tool_choice
from .pricing import Price, WireReply, priced_reply
from .sdk import AdapterSettings, SDKAdapter, WireFormat

__all__ = [
    "OpenAIProvider",
    "StreamAssembler",
    "content_part_to_wire",
    "from_wire",
    "map_errors",
    "max_tokens_field_for",
    "message_from_wire",
    "message_to_wire",
    "new_call_id",
    "to_wire",
]

PATH = "/chat/completions"

OPENAI_HOSTS = ("api.openai.com", ".openai.azure.com")
"""Hosts of OpenAI's own API, which wants the output cap as ``max_completion_tokens`` (its reasoning
models refuse ``max_tokens``); every other server gets ``max_tokens``, the field they all honour."""

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


# ---- wire format (pure) --------------------------------------------------------------------------


def content_part_to_wire(part: ContentPart) -> dict[str, Any]:
    """One part of a multi-part message as a Chat Completions content part."""
    if isinstance(part, ImagePart):
        return {"type": "image_url", "image_url": {"url": part.url, "detail": part.detail}}
    if isinstance(part, AudioPart):
        return {"type": "input_audio", "input_audio": {"data": part.data, "format": part.format}}
    return {"type": "text", "text": part.text}


def _content(message: ChatMessage) -> str | list[dict[str, Any]]:
    # No content is sent as "": llama.cpp's server answers 500 to a null content and to a missing
    # one, and every server (OpenAI's too) accepts an empty string beside tool calls.
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    return [content_part_to_wire(part) for part in message.content]


def _arguments_text(call: ToolCall) -> str:
    raw = call.arguments.get(RAW_ARGUMENTS_KEY)
    return raw if isinstance(raw, str) else call.arguments_json


def message_to_wire(message: ChatMessage) -> dict[str, Any]:
    """One message in Chat Completions form."""
    wire: dict[str, Any] = {"role": message.role}
    if message.role == "tool":
        wire["tool_call_id"] = message.tool_call_id
        wire["content"] = message.text
        return wire
    wire["content"] = _content(message)
    if message.name and message.role != "assistant":
        wire["name"] = message.name
    if message.tool_calls:
        wire["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": _arguments_text(c)}}
            for c in message.tool_calls
        ]
    return wire


def message_from_wire(data: Mapping[str, Any]) -> ChatMessage:
    """One Chat Completions message read back into a :class:`ChatMessage`: the one reader of
    OpenAI-shaped message lists (prompt fitting, imports). A :meth:`ChatMessage.to_dict` dict is read
    as such; ``developer`` is read as ``system``. Raises :class:`MessageFormatError` for what is not a
    message."""
    if not isinstance(data, Mapping) or "schema_version" in data:
        return ChatMessage.from_dict(data)
    payload: dict[str, Any] = {k: data[k] for k in ("role", "content", "tool_call_id", "name") if k in data}
    if payload.get("role") == "developer":
        payload["role"] = "system"
    content = payload.get("content")
    if isinstance(content, list):
        payload["content"] = [_part_from_wire(p) for p in content]
    calls = data.get("tool_calls")
    if calls:
        payload["tool_calls"] = [_call_from_wire(c) for c in calls]
    return ChatMessage.from_dict(payload)


def _part_from_wire(part: Any) -> Any:
    if isinstance(part, Mapping) and part.get("type") == "text":
        return {"kind": "text", "text": part.get("text", "")}
    if isinstance(part, Mapping) and part.get("type") == "image_url":
        image = part.get("image_url") or {}
        return {"kind": "image", "url": image.get("url", ""), "detail": image.get("detail", "auto")}
    if isinstance(part, Mapping) and part.get("type") == "input_audio":
        audio = part.get("input_audio") or {}
        return {"kind": "audio", "data": audio.get("data", ""), "format": audio.get("format", "")}
    return part  # validation names what it is


def _call_from_wire(call: Any) -> Any:
    if not isinstance(call, Mapping) or not isinstance(call.get("function"), Mapping):
        return call  # validation names what it is
    function = call["function"]
    arguments = function.get("arguments")
    parsed = arguments if isinstance(arguments, dict) else _parse_arguments(arguments)
    return {"id": call.get("id", ""), "name": function.get("name", ""), "arguments": parsed}


def tools_to_wire(tools: Sequence[ToolSchema]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def max_tokens_field_for(base_url: str | None) -> str:
    """The field of the output cap for a server: see :data:`OPENAI_HOSTS`."""
    if not base_url:
        return "max_completion_tokens"
    host = (urlsplit(base_url).hostname or "").lower()
    official = host == OPENAI_HOSTS[0] or host.endswith(OPENAI_HOSTS[1])
    return "max_completion_tokens" if official else "max_tokens"


def to_wire(
    request: ChatRequest,
    *,
    max_tokens_field: str = "max_completion_tokens",
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of a ``POST /chat/completions`` request.

    ``options`` are extra body fields (request options without the SDK's own); a neutral
    ``tool_choice`` is spelled the Chat Completions way, and dropped with the other tool settings
    when the request offers no tools (OpenAI refuses them then).
    """
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [message_to_wire(m) for m in request.messages],
    }
    if request.tools:
        body["tools"] = tools_to_wire(request.tools)
    if request.max_tokens is not None:
        body[max_tokens_field] = request.max_tokens
    return apply_options(
        body,
        options,
        has_tools=bool(request.tools),
        tool_choice=openai_tool_choice,
        tool_fields=("tool_choice", "parallel_tool_calls"),
        temperature=request.temperature,
    )


def _parse_arguments(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {RAW_ARGUMENTS_KEY: text}
    return value if isinstance(value, dict) else {RAW_ARGUMENTS_KEY: text}


def new_call_id() -> str:
    """A fresh tool-call id, for a reply whose server sent none: unique across the conversation
    (ids numbered per reply would repeat, and Anthropic refuses a repeated ``tool_use`` id)."""
    return f"call_{uuid.uuid4().hex[:24]}"


def from_wire(
    raw: Mapping[str, Any], *, provider: str = "openai", price: Price | None = None
) -> ChatResponse:
    """A :class:`ChatResponse` from a Chat Completions response body (priced with ``price``, or
    from the registry when it is ``None``)."""
    choices = raw.get("choices") or [{}]
    choice = choices[0]
    message = choice.get("message") or {}
    calls = [
        ToolCall(
            id=c.get("id") or new_call_id(),
            name=c["function"]["name"],
            arguments=_parse_arguments(c["function"].get("arguments")),
        )
        for c in message.get("tool_calls") or []
    ]
    usage = raw.get("usage") or {}
    tokens = (int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
    finish = _FINISH.get(str(choice.get("finish_reason")), "unknown")
    reply = WireReply(message.get("content") or "", calls, tokens, finish)
    return priced_reply(raw, reply, provider=provider, price=price)


class StreamAssembler:
    """Folds streamed chunks into the response body they add up to, returning text as it comes."""

    def __init__(self, *, provider: str = "openai", price: Price | None = None) -> None:
        self.provider = provider
        self.price = price
        self._text: list[str] = []
        self._calls: dict[int, dict[str, Any]] = {}
        self._finish: str | None = None
        self._usage: dict[str, Any] | None = None
        self._model = ""
        self._id: str | None = None

    def feed(self, chunk: Mapping[str, Any]) -> str | None:
        """Take one chunk; return its new text, if any."""
        self._model = str(chunk.get("model") or self._model)
        self._id = chunk.get("id") or self._id
        if chunk.get("usage"):
            self._usage = dict(chunk["usage"])
        text: str | None = None
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                text = delta["content"]
                self._text.append(delta["content"])
            for call in delta.get("tool_calls") or []:
                slot = self._calls.setdefault(
                    int(call.get("index") or 0), {"id": None, "name": "", "args": ""}
                )
                function = call.get("function") or {}
                slot["name"] = _name_after(slot["name"], function.get("name") or "")
                slot["id"] = call.get("id") or slot["id"]
                slot["args"] += function.get("arguments") or ""
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
        return text

    @property
    def usage_reported(self) -> bool:
        """Whether the stream carried usage (llama.cpp's server, for one, sends none)."""
        return self._usage is not None

    def result(self) -> ChatResponse:
        calls = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["args"]}}
            for _, c in sorted(self._calls.items())
        ]
        body = {
            "id": self._id,
            "model": self._model,
            "choices": [
                {
                    "message": {"role": "assistant", "content": "".join(self._text), "tool_calls": calls},
                    "finish_reason": self._finish,
                }
            ],
            "usage": self._usage,
        }
        return from_wire(body, provider=self.provider, price=self.price)


def _name_after(name: str, chunk: str) -> str:
    """A tool call's name after one more chunk. OpenAI sends the name once; llama.cpp's server repeats
    the whole name in every chunk. A repeat (or a longer name starting with the one so far) replaces;
    anything else is a fragment and appends."""
    if not name or chunk.startswith(name):
        return chunk or name
    return name + chunk


# ---- errors --------------------------------------------------------------------------------------


def map_errors(provider: str, *, midstream: bool = False) -> AbstractContextManager[None]:
    """Translate the ``openai`` SDK's exceptions into ours, chained (see :func:`map_sdk_errors`)."""
    return map_sdk_errors("openai", provider, midstream=midstream)


# ---- the client ----------------------------------------------------------------------------------


class OpenAIProvider(SDKAdapter):
    """Chat Completions over ``OpenAI``/``AsyncOpenAI``, for any server that speaks it.

    The key and base URL come from the arguments, else ``OPENAI_API_KEY``/``OPENAI_BASE_URL`` (or
    the ``*_env`` names a preset gives). Retries of 429/5xx/timeouts are the SDK's own.
    ``max_tokens_field`` names the output cap's field (by default chosen from the base URL, see
    :func:`max_tokens_field_for`).
    """

    path = PATH
    sdk = "openai"
    sdk_client = "OpenAI"
    wire = WireFormat(to_wire, from_wire, StreamAssembler)

    def __init__(self, *, max_tokens_field: str | None = None, **settings: Unpack[AdapterSettings]) -> None:
        super().__init__(**settings)
        self.max_tokens_field = max_tokens_field or max_tokens_field_for(self.base_url)

    def wire_options(self) -> dict[str, Any]:
        return {"max_tokens_field": self.max_tokens_field}

    def stream_body(self, request: ChatRequest, options: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.body(request, options), "stream": True, "stream_options": {"include_usage": True}}
