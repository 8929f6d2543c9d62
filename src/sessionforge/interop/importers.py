"""Importers from the formats users migrate from, into ordinary ChatSession-shaped sessions.

Each ``from_*`` function is pure: foreign data in, :class:`ChatMessage` list out, so it can be tested
and reused without a store. :func:`import_messages` writes such a list as a session (the log a saved
``ChatSession`` has), and :func:`import_openai_agents_sqlite` reads every session of a database the
OpenAI Agents SDK's ``SQLiteSession`` wrote.

* OpenAI chat messages: ``{"role", "content", "tool_calls": [{"id", "function": {"name", "arguments"}}],
  "tool_call_id"}``.
* Anthropic messages: ``{"role": "user"|"assistant", "content": str | [blocks]}`` with ``text``,
  ``tool_use`` and ``tool_result`` blocks; the system prompt is passed separately, as in that API.
* LangChain: ``messages_to_dict`` output, ``[{"type": "human"|"ai"|"system"|"tool", "data": {...}}]``.
* OpenAI Agents SDK session items (Responses API input items): messages with text parts,
  ``function_call`` and ``function_call_output`` items; reasoning and other items are skipped, as
  they are not part of the dialogue a chat model is given.

Every function checks what it reads: a list that is not a list of objects, an item of an unknown
kind, a missing id or name, or a value a session cannot store raises :class:`MessageFormatError`
naming the item (``OpenAI message 3``) and the field. :func:`read_document` parses a file's text
(nesting is bounded, so a hostile file is an error, not a ``RecursionError``) and
:func:`messages_from_document` reads it in a named format. :func:`import_messages` repairs the tool
pairing of what it stores (a result without its call is dropped, a call never answered gets a result
saying so, a reused call id is renamed) with one warning per change, and stores nothing if it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic_core import from_json

from ..core.jsonvalue import find_problem
from ..core.messages import ChatMessage, ToolCall
from ..core.pairing import check_tool_pairing, repair_tool_pairing
from ..errors import MessageFormatError, SessionAlreadyExists, StorageError
from ..faces.chat_session import ChatSession
from ..storage.base import Store, check_session_id
from ..storage.config import resolve_store

__all__ = [
    "DOCUMENT_FORMATS",
    "from_anthropic_messages",
    "from_langchain",
    "from_openai_agents_items",
    "from_openai_messages",
    "group_openai_agents_items",
    "import_messages",
    "import_openai_agents_sqlite",
    "messages_from_document",
    "read_document",
]

logger = logging.getLogger("sessionforge.interop.importers")

DOCUMENT_FORMATS = ("openai", "anthropic", "langchain", "openai-agents")
"""The formats :func:`messages_from_document` reads."""

_MISSING: Any = object()
_KINDS: dict[type, str] = {Mapping: "an object", str: "text", int: "a whole number", list: "a list"}


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if raw in (None, ""):
        return {}
    if not isinstance(raw, str):
        return {"value": raw}
    try:
        value = from_json(raw)
    except ValueError:
        return {"value": raw}
    return value if isinstance(value, dict) else {"value": value}


def _text(content: Any) -> str:
    """Text of a content that may be a string or a list of typed parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) if isinstance(p, Mapping) else str(p) for p in content)
    return json.dumps(content, ensure_ascii=False)


def _get(
    item: Mapping[str, Any], key: str, kind: type | tuple[type, ...] = str, default: Any = _MISSING
) -> Any:
    """``item[key]``, checked to be a ``kind``; MessageFormatError naming the key if not."""
    value = item.get(key, default)
    if value is _MISSING:
        raise MessageFormatError(f"{key!r} is missing", field=key)
    if value is not default and not isinstance(value, kind):
        names = " or ".join(_KINDS.get(k, k.__name__) for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise MessageFormatError(f"{key!r} must be {names}, got {type(value).__name__}", field=key)
    return value


def _items(data: Any, what: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The items of a foreign list, each checked to be an object, numbered for error messages."""
    if isinstance(data, Mapping | str | bytes) or not isinstance(data, Iterable):
        raise MessageFormatError(f"expected a list of {what}s, got {type(data).__name__}", field=None)
    for index, item in enumerate(data):
        if not isinstance(item, Mapping):
            raise MessageFormatError(
                f"cannot import {what} {index}: it is a {type(item).__name__}, not an object",
                field=str(index),
            )
        yield index, item


@contextmanager
def _at(what: str, index: int) -> Iterator[None]:
    """Name the item in a MessageFormatError raised while reading it."""
    try:
        yield
    except MessageFormatError as exc:
        field = f"{index}.{exc.field}" if exc.field else str(index)
        raise MessageFormatError(f"cannot import {what} {index}: {exc}", field=field) from exc


def _unknown(what: str, item: Any) -> MessageFormatError:
    return MessageFormatError(f"cannot import {what}: {json.dumps(item, default=str)[:120]}", field=None)


def _calls(raw: Any, key: str, read: Callable[[int, Mapping[str, Any]], ToolCall]) -> list[ToolCall]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise MessageFormatError(f"{key!r} must be a list, got {type(raw).__name__}", field=key)
    calls: list[ToolCall] = []
    for i, call in enumerate(raw):
        if not isinstance(call, Mapping):
            raise MessageFormatError(f"{key}[{i}] must be an object", field=f"{key}.{i}")
        try:
            calls.append(read(i, call))
        except MessageFormatError as exc:
            raise MessageFormatError(
                f"{key}[{i}]: {exc}", field=f"{key}.{i}.{exc.field or ''}".rstrip(".")
            ) from exc
    return calls


def from_openai_messages(messages: Iterable[Mapping[str, Any]]) -> list[ChatMessage]:
    """OpenAI chat-completions messages as ChatMessages."""

    def call(_: int, c: Mapping[str, Any]) -> ToolCall:
        function = _get(c, "function", Mapping)
        return ToolCall(
            id=_get(c, "id"), name=_get(function, "name"), arguments=_arguments(function.get("arguments"))
        )

    out: list[ChatMessage] = []
    for index, item in _items(messages, "OpenAI message"):
        with _at("OpenAI message", index):
            role = item.get("role")
            if role in ("system", "developer"):
                out.append(ChatMessage.system(_text(item.get("content"))))
            elif role == "user":
                out.append(ChatMessage.user(_text(item.get("content"))))
            elif role == "assistant":
                calls = _calls(item.get("tool_calls"), "tool_calls", call)
                content = item.get("content")
                out.append(
                    ChatMessage.assistant(_text(content) if content is not None else None, tool_calls=calls)
                )
            elif role == "tool":
                out.append(
                    ChatMessage.tool(
                        _text(item.get("content")),
                        tool_call_id=str(_get(item, "tool_call_id", (str, int))),
                        name=_get(item, "name", str, None),
                    )
                )
            else:
                raise _unknown("an OpenAI message", item)
    return out


def from_anthropic_messages(
    messages: Iterable[Mapping[str, Any]], system: str | None = None
) -> list[ChatMessage]:
    """Anthropic Messages API messages (and its separate ``system``) as ChatMessages."""
    if system is not None and not isinstance(system, str):
        system = _text(system)  # the API also takes the system prompt as a list of text blocks
    out: list[ChatMessage] = [ChatMessage.system(system)] if system else []
    for index, item in _items(messages, "Anthropic message"):
        with _at("Anthropic message", index):
            role, content = item.get("role"), item.get("content")
            if role not in ("user", "assistant"):
                raise _unknown("an Anthropic message", item)
            if isinstance(content, str):
                blocks: list[Any] = [{"type": "text", "text": content}]
            elif content is None or isinstance(content, list):
                blocks = list(content or [])
            else:
                raise MessageFormatError(
                    f"'content' must be text or a list of blocks, got {type(content).__name__}",
                    field="content",
                )
            texts: list[str] = []
            calls: list[ToolCall] = []
            for b, block in enumerate(blocks):
                if not isinstance(block, Mapping):
                    raise MessageFormatError(f"content block {b} is not an object", field=f"content.{b}")
                kind = block.get("type")
                try:
                    if kind == "text":
                        texts.append(str(block.get("text", "")))
                    elif kind == "tool_use":
                        calls.append(
                            ToolCall(
                                id=_get(block, "id"),
                                name=_get(block, "name"),
                                arguments=_arguments(block.get("input")),
                            )
                        )
                    elif kind == "tool_result":
                        out.append(
                            ChatMessage.tool(
                                _text(block.get("content")),
                                tool_call_id=str(_get(block, "tool_use_id", (str, int))),
                            )
                        )
                except MessageFormatError as exc:
                    field = f"content.{b}.{exc.field}" if exc.field else f"content.{b}"
                    raise MessageFormatError(f"content block {b}: {exc}", field=field) from exc
            if role == "assistant":
                out.append(ChatMessage.assistant("".join(texts) if texts else None, tool_calls=calls))
            elif texts:
                out.append(ChatMessage.user("".join(texts)))
    return out


def from_langchain(messages: Iterable[Mapping[str, Any]]) -> list[ChatMessage]:
    """LangChain ``messages_to_dict`` output as ChatMessages."""

    def call(i: int, c: Mapping[str, Any]) -> ToolCall:
        return ToolCall(
            id=str(c.get("id") or f"call_{i}"), name=_get(c, "name"), arguments=_arguments(c.get("args"))
        )

    out: list[ChatMessage] = []
    for index, item in _items(messages, "LangChain message"):
        with _at("LangChain message", index):
            kind, data = item.get("type"), _get(item, "data", Mapping, {})
            content = _text(data.get("content"))
            if kind == "system":
                out.append(ChatMessage.system(content))
            elif kind in ("human", "chat"):
                out.append(ChatMessage.user(content))
            elif kind in ("ai", "AIMessageChunk"):
                calls = _calls(data.get("tool_calls"), "data.tool_calls", call)
                out.append(ChatMessage.assistant(content or (None if calls else ""), tool_calls=calls))
            elif kind == "tool":
                out.append(
                    ChatMessage.tool(
                        content,
                        tool_call_id=str(_get(data, "tool_call_id", (str, int))),
                        name=_get(data, "name", str, None),
                    )
                )
            else:
                raise _unknown("a LangChain message", item)
    return out


def from_openai_agents_items(items: Iterable[Mapping[str, Any]]) -> list[ChatMessage]:
    """OpenAI Agents SDK session items as ChatMessages; a model's function calls join the assistant
    message they follow, as chat-completions requires."""
    return [message for message, _ in group_openai_agents_items(items) if message is not None]


def group_openai_agents_items(
    items: Iterable[Mapping[str, Any]],
) -> list[tuple[ChatMessage | None, list[Mapping[str, Any]]]]:
    """Each message :func:`from_openai_agents_items` makes, with the items it was made from, in order.

    Items that are not part of the dialogue (reasoning, ...) go with the message that follows them,
    so a writer that keeps items beside their message can give them back in their place; items after
    the last message come last, with ``None`` for a message.
    """
    out: list[tuple[ChatMessage | None, list[Mapping[str, Any]]]] = []
    waiting: list[Mapping[str, Any]] = []  # items of no message yet
    for index, item in _items(items, "Agents SDK item"):
        with _at("Agents SDK item", index):
            message, merged = _agents_item_message(item, out[-1][0] if out else None)
        if merged is not None:
            out[-1] = (merged, [*out[-1][1], *waiting, item])
            waiting = []
            continue
        if message is None:
            waiting.append(item)
            continue
        out.append((message, [*waiting, item]))
        waiting = []
    if waiting:
        out.append((None, waiting))
    return out


def _agents_item_message(
    item: Mapping[str, Any], last: ChatMessage | None
) -> tuple[ChatMessage | None, ChatMessage | None]:
    """``(the message an Agents SDK item makes, or None; the previous message it merges into, or None)``."""
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        role = item.get("role")
        text = _text(item.get("content"))
        if role in ("system", "developer"):
            return ChatMessage.system(text), None
        if role == "user":
            return ChatMessage.user(text), None
        if role == "assistant":
            return ChatMessage.assistant(text), None
        raise _unknown("an Agents SDK message", item)
    if kind == "function_call":
        call = ToolCall(
            id=str(_get(item, "call_id", (str, int))),
            name=_get(item, "name"),
            arguments=_arguments(item.get("arguments")),
        )
        if last is not None and last.role == "assistant" and (last.tool_calls or not last.text):
            return None, ChatMessage.assistant(last.text or None, tool_calls=[*last.tool_calls, call])
        return ChatMessage.assistant(None, tool_calls=[call]), None
    if kind == "function_call_output":
        output = item.get("output")
        text = output if isinstance(output, str) else _text(output)
        return ChatMessage.tool(text, tool_call_id=str(_get(item, "call_id", (str, int)))), None
    return None, None


def read_document(text: str | bytes, *, source: str = "the file") -> Any:
    """A JSON document's data. Text that is not JSON, or is nested deeper than the parser allows
    (about 250 levels), raises :class:`MessageFormatError` naming ``source``."""
    try:
        return from_json(text)
    except ValueError as exc:
        raise MessageFormatError(f"{source} is not a JSON document: {exc}", field=None) from exc


def messages_from_document(data: Any, fmt: str) -> list[ChatMessage]:
    """A parsed document of format ``fmt`` (one of :data:`DOCUMENT_FORMATS`) as messages.

    The document is the list itself or an object holding it under ``"messages"`` (with the system
    prompt under ``"system"`` for Anthropic).
    """
    if fmt not in DOCUMENT_FORMATS:
        raise MessageFormatError(
            f"unknown format {fmt!r}: use one of {', '.join(DOCUMENT_FORMATS)}", field=None
        )
    items = data.get("messages", _MISSING) if isinstance(data, Mapping) else data
    if items is _MISSING:
        raise MessageFormatError("the document is an object without a 'messages' list", field="messages")
    if fmt == "openai":
        return from_openai_messages(items)
    if fmt == "anthropic":
        system = data.get("system") if isinstance(data, Mapping) else None
        return from_anthropic_messages(items, system)
    if fmt == "langchain":
        return from_langchain(items)
    return from_openai_agents_items(items)


async def import_messages(
    messages: Iterable[ChatMessage],
    store: Store | None = None,
    session_id: str | None = None,
    *,
    metadata: dict[str, Any] | None = None,
    repair: bool = True,
    on_warning: Callable[[str], None] | None = None,
) -> str:
    """Store ``messages`` as a session a ``ChatSession`` loads; returns its id.

    With ``repair`` (the default) the tool pairing is repaired first (see the module doc), each
    change reported to ``on_warning`` (default: logged as a warning); without it a broken pairing
    raises :class:`~sessionforge.errors.ToolPairingError`. Nothing is stored if anything fails.
    """
    backend = resolve_store(store)
    if session_id is not None:
        check_session_id(session_id)
    if metadata is not None and (problem := find_problem(metadata, path="metadata")) is not None:
        raise MessageFormatError(f"cannot import: {problem.path}: {problem.reason}", field=problem.path)
    listed = list(messages)
    for index, message in enumerate(listed):
        if not isinstance(message, ChatMessage):
            raise MessageFormatError(
                f"message {index} is a {type(message).__name__}, not a ChatMessage", field=str(index)
            )
    if repair:
        listed, warnings = repair_tool_pairing(listed)
        for warning in warnings:
            (on_warning or logger.warning)(warning)
    else:
        check_tool_pairing(listed, complete=True)
    if session_id is not None and await backend.load(session_id, limit=1):
        raise SessionAlreadyExists(f"a session with id {session_id!r} already exists")
    chat = ChatSession(session_id=session_id, metadata=metadata)
    if listed and listed[0].role == "system":  # a leading system message is the session's prompt
        chat.set_system_prompt(listed.pop(0).text)
    for message in listed:
        chat.add_message(message, enforce=False)
    try:
        await chat.asave(backend)
    except BaseException:
        with contextlib.suppress(Exception):
            await backend.delete(chat.session_id)
        raise
    return chat.session_id


def _read_agents_db(
    path: Path, sessions_table: str, messages_table: str, only: set[str] | None
) -> dict[str, list[dict[str, Any]]]:
    for table in (sessions_table, messages_table):
        if not table.replace("_", "").isalnum():
            raise MessageFormatError(f"invalid table name {table!r}", field=None)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open {path}: {exc}") from exc
    try:
        ids = [
            row[0]
            for row in conn.execute(
                f"SELECT session_id FROM {sessions_table} ORDER BY created_at, session_id"
            )
        ]
        out: dict[str, list[dict[str, Any]]] = {}
        for session_id in ids:
            if only is not None and session_id not in only:
                continue
            rows = conn.execute(
                f"SELECT message_data FROM {messages_table} WHERE session_id = ? ORDER BY id", (session_id,)
            )
            out[session_id] = [from_json(data) for (data,) in rows]
        return out
    except (sqlite3.Error, ValueError) as exc:
        raise StorageError(f"{path} is not an OpenAI Agents SDK session database: {exc}") from exc
    finally:
        conn.close()


async def import_openai_agents_sqlite(
    path: str | Path,
    store: Store | None = None,
    *,
    session_ids: Iterable[str] | None = None,
    sessions_table: str = "agent_sessions",
    messages_table: str = "agent_messages",
) -> dict[str, str]:
    """Import sessions from a database written by the Agents SDK's ``SQLiteSession``.

    Returns ``{sdk session id: sessionforge session id}`` (the same id: the SDK's ids are kept).
    The database is opened read-only.
    """
    only = set(session_ids) if session_ids is not None else None
    sessions = await asyncio.to_thread(_read_agents_db, Path(path), sessions_table, messages_table, only)
    out: dict[str, str] = {}
    for session_id, items in sessions.items():
        out[session_id] = await import_messages(
            from_openai_agents_items(items), store, session_id, metadata={"imported_from": "openai-agents"}
        )
    return out
