"""Tool output too long for the context: keep it whole beside the conversation, show a preview.

A tool that returns a whole file or a long query result can fill the context in one call. With
offloading on, a result over the size limit becomes a tool message holding a short preview and a
handle, and the whole text is kept in that message's ``metadata["sessionforge"]["offloaded"]``. The
metadata is never sent to a model, and it is stored with the message, so the text lives exactly as
long as the session does: in memory for an unsaved session, in its store once saved (one record,
appended with the message). The tool message keeps its ``tool_call_id``, so the view's invariant (no
call without its result) holds unchanged.

The model reads the text back with the built-in :data:`RECALL_TOOL` tool, in slices of characters.
The turn answers those calls itself from the session's history, which is why the tool needs no
registry entry of its own: it only exists while offloading is on. The session-aware tool processor
offloads the same way (the whole result stays in its ``TOOL_CALL`` event) and answers recalls too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..core.messages import ChatMessage, ToolCall
from .registry import ToolResult, ToolSchema

__all__ = [
    "DEFAULT_PREVIEW_CHARS",
    "DEFAULT_RECALL_LENGTH",
    "RECALL_SCHEMA",
    "RECALL_TOOL",
    "new_handle",
    "offload_message",
    "offload_notice",
    "offloaded_text",
    "recall",
    "recall_from",
]

RECALL_TOOL = "recall_tool_output"
DEFAULT_PREVIEW_CHARS = 500
DEFAULT_RECALL_LENGTH = 2000
_MARK = "offloaded"

RECALL_SCHEMA = ToolSchema(
    name=RECALL_TOOL,
    description=(
        "Read part of a tool output that was too long to show whole. Pass the handle given in the "
        "truncated result; start and length count characters."
    ),
    parameters={
        "type": "object",
        "properties": {
            "handle": {"type": "string", "description": "The handle from the truncated tool result."},
            "start": {"type": "integer", "minimum": 0, "default": 0, "description": "First character."},
            "length": {
                "type": "integer",
                "minimum": 1,
                "default": DEFAULT_RECALL_LENGTH,
                "description": "How many characters to read.",
            },
        },
        "required": ["handle"],
        "additionalProperties": False,
    },
)


def new_handle() -> str:
    """A fresh handle for one offloaded output."""
    return f"out_{uuid.uuid4().hex[:12]}"


def offload_notice(
    tool: str,
    content: str,
    handle: str,
    *,
    tokens: int | None = None,
    preview_chars: int = DEFAULT_PREVIEW_CHARS,
) -> str:
    """What the model reads in place of an offloaded output: its size, the handle, a preview."""
    size = f"{len(content)} characters" + (f" (~{tokens} tokens)" if tokens is not None else "")
    return (
        f"[Output of {tool} offloaded: {size}, shown truncated. Handle: {handle}. Read more with "
        f'{RECALL_TOOL}(handle="{handle}", start=0, length={DEFAULT_RECALL_LENGTH}).]\n'
        f"{content[:preview_chars]}"
    )


def offload_message(
    call: ToolCall,
    content: str,
    *,
    tokens: int,
    metadata: Mapping[str, Any] | None = None,
    preview_chars: int = DEFAULT_PREVIEW_CHARS,
) -> ChatMessage:
    """The tool message for an over-long result: preview and handle as content, the whole in metadata."""
    handle = new_handle()
    text = offload_notice(call.name, content, handle, tokens=tokens, preview_chars=preview_chars)
    marks = dict((metadata or {}).get("sessionforge", {}))
    marks[_MARK] = {"handle": handle, "content": content, "chars": len(content), "tokens": tokens}
    return ChatMessage.tool(
        text, call.id, name=call.name, metadata={**(metadata or {}), "sessionforge": marks}
    )


def offloaded_text(message: ChatMessage) -> tuple[str, str] | None:
    """``(handle, whole text)`` if ``message`` holds an offloaded output, else ``None``."""
    marks = message.metadata.get("sessionforge")
    entry = marks.get(_MARK) if isinstance(marks, dict) else None
    if (
        isinstance(entry, dict)
        and isinstance(entry.get("handle"), str)
        and isinstance(entry.get("content"), str)
    ):
        return entry["handle"], entry["content"]
    return None


def recall(messages: Iterable[ChatMessage], arguments: Mapping[str, Any]) -> ToolResult:
    """Answer one ``recall_tool_output`` call from the offloaded outputs among ``messages``."""

    def outputs() -> Iterator[tuple[str, str]]:
        for message in messages:
            found = offloaded_text(message)
            if found is not None:
                yield found

    return recall_from(outputs(), arguments)


def recall_from(outputs: Iterable[tuple[str, str]], arguments: Mapping[str, Any]) -> ToolResult:
    """Answer one ``recall_tool_output`` call from ``(handle, whole text)`` pairs."""
    handle = arguments.get("handle")
    start = arguments.get("start", 0)
    length = arguments.get("length", DEFAULT_RECALL_LENGTH)
    if not isinstance(handle, str):
        return ToolResult(f"Error: {RECALL_TOOL} needs a string 'handle'", is_error=True)
    if not isinstance(start, int) or not isinstance(length, int) or start < 0 or length < 1:
        return ToolResult(
            "Error: 'start' must be an integer >= 0 and 'length' an integer >= 1", is_error=True
        )
    known: list[str] = []
    for found_handle, text in outputs:
        if found_handle == handle:
            end = min(start + length, len(text))
            if start >= len(text):
                return ToolResult(f"[{handle}: start {start} is past the end ({len(text)} characters)]")
            return ToolResult(f"[{handle}: characters {start}-{end} of {len(text)}]\n{text[start:end]}")
        known.append(found_handle)
    listing = ", ".join(known) or "none"
    return ToolResult(
        f"Error: no offloaded output with handle {handle!r}; known handles: {listing}", is_error=True
    )
