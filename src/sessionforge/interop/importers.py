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

Unknown shapes raise :class:`MessageFormatError` naming what was found.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..core.messages import ChatMessage, ToolCall
from ..errors import MessageFormatError, SessionAlreadyExists, StorageError
from ..faces.chat_session import ChatSession
from ..storage.base import Store
from ..storage.config import resolve_store

__all__ = [
    "from_anthropic_messages",
    "from_langchain",
    "from_openai_agents_items",
    "from_openai_messages",
    "group_openai_agents_items",
    "import_messages",
    "import_openai_agents_sqlite",
]


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if raw in (None, ""):
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, json.JSONDecodeError):
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


def _unknown(what: str, item: Any) -> MessageFormatError:
    return MessageFormatError(f"cannot import {what}: {json.dumps(item, default=str)[:120]}", field=None)


def from_openai_messages(messages: Iterable[Mapping[str, Any]]) -> list[ChatMessage]:
    """OpenAI chat-completions messages as ChatMessages."""
    out: list[ChatMessage] = []
    for item in messages:
        role = item.get("role")
        if role in ("system", "developer"):
            out.append(ChatMessage.system(_text(item.get("content"))))
        elif role == "user":
            out.append(ChatMessage.user(_text(item.get("content"))))
        elif role == "assistant":
            calls = [
                ToolCall(
                    id=c["id"],
                    name=c["function"]["name"],
                    arguments=_arguments(c["function"].get("arguments")),
                )
                for c in item.get("tool_calls") or []
            ]
            content = item.get("content")
            out.append(
                ChatMessage.assistant(_text(content) if content is not None else None, tool_calls=calls)
            )
        elif role == "tool":
            out.append(
                ChatMessage.tool(
                    _text(item.get("content")), tool_call_id=str(item["tool_call_id"]), name=item.get("name")
                )
            )
        else:
            raise _unknown("an OpenAI message", item)
    return out


def from_anthropic_messages(
    messages: Iterable[Mapping[str, Any]], system: str | None = None
) -> list[ChatMessage]:
    """Anthropic Messages API messages (and its separate ``system``) as ChatMessages."""
    out: list[ChatMessage] = [ChatMessage.system(system)] if system else []
    for item in messages:
        role, content = item.get("role"), item.get("content")
        if role not in ("user", "assistant"):
            raise _unknown("an Anthropic message", item)
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in blocks:
            kind = block.get("type")
            if kind == "text":
                texts.append(str(block.get("text", "")))
            elif kind == "tool_use":
                calls.append(
                    ToolCall(id=block["id"], name=block["name"], arguments=_arguments(block.get("input")))
                )
            elif kind == "tool_result":
                out.append(
                    ChatMessage.tool(_text(block.get("content")), tool_call_id=str(block["tool_use_id"]))
                )
        if role == "assistant":
            out.append(ChatMessage.assistant("".join(texts) if texts else None, tool_calls=calls))
        elif texts:
            out.append(ChatMessage.user("".join(texts)))
    return out


def from_langchain(messages: Iterable[Mapping[str, Any]]) -> list[ChatMessage]:
    """LangChain ``messages_to_dict`` output as ChatMessages."""
    out: list[ChatMessage] = []
    for item in messages:
        kind, data = item.get("type"), item.get("data") or {}
        content = _text(data.get("content"))
        if kind == "system":
            out.append(ChatMessage.system(content))
        elif kind in ("human", "chat"):
            out.append(ChatMessage.user(content))
        elif kind in ("ai", "AIMessageChunk"):
            calls = [
                ToolCall(
                    id=str(c.get("id") or f"call_{i}"), name=c["name"], arguments=_arguments(c.get("args"))
                )
                for i, c in enumerate(data.get("tool_calls") or [])
            ]
            out.append(ChatMessage.assistant(content or (None if calls else ""), tool_calls=calls))
        elif kind == "tool":
            out.append(
                ChatMessage.tool(content, tool_call_id=str(data["tool_call_id"]), name=data.get("name"))
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
    for item in items:
        kind = item.get("type", "message" if "role" in item else None)
        message: ChatMessage | None = None
        if kind == "message":
            role = item.get("role")
            text = _text(item.get("content"))
            if role in ("system", "developer"):
                message = ChatMessage.system(text)
            elif role == "user":
                message = ChatMessage.user(text)
            elif role == "assistant":
                message = ChatMessage.assistant(text)
            else:
                raise _unknown("an Agents SDK message", item)
        elif kind == "function_call":
            call = ToolCall(
                id=str(item["call_id"]), name=item["name"], arguments=_arguments(item.get("arguments"))
            )
            last = out[-1][0] if out else None
            if last is not None and last.role == "assistant" and (last.tool_calls or not last.text):
                merged = ChatMessage.assistant(last.text or None, tool_calls=[*last.tool_calls, call])
                out[-1] = (merged, [*out[-1][1], *waiting, item])
                waiting = []
                continue
            message = ChatMessage.assistant(None, tool_calls=[call])
        elif kind == "function_call_output":
            output = item.get("output")
            message = ChatMessage.tool(
                output if isinstance(output, str) else _text(output), tool_call_id=str(item["call_id"])
            )
        if message is None:
            waiting.append(item)
            continue
        out.append((message, [*waiting, item]))
        waiting = []
    if waiting:
        out.append((None, waiting))
    return out


async def import_messages(
    messages: Iterable[ChatMessage],
    store: Store | None = None,
    session_id: str | None = None,
    *,
    metadata: dict[str, Any] | None = None,
) -> str:
    """Store ``messages`` as a session a ``ChatSession`` loads; returns its id."""
    backend = resolve_store(store)
    if session_id is not None and await backend.load(session_id, limit=1):
        raise SessionAlreadyExists(f"a session with id {session_id!r} already exists")
    chat = ChatSession(session_id=session_id, metadata=metadata)
    items = list(messages)
    if items and items[0].role == "system":  # a leading system message is the session's prompt
        chat.set_system_prompt(items.pop(0).text)
    for message in items:
        chat.add_message(message, enforce=False)
    await chat.asave(backend)
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
            out[session_id] = [json.loads(data) for (data,) in rows]
        return out
    except (sqlite3.Error, json.JSONDecodeError) as exc:
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
