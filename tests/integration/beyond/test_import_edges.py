"""Imports check everything before writing and leave nothing behind when they fail, refuse export
versions they do not know, and name the malformed item of a foreign message list."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sessionforge import ChatMessage, ChatSession, SessionManager
from sessionforge.core.messages import ToolCall
from sessionforge.core.pairing import NO_RESULT
from sessionforge.errors import (
    MessageFormatError,
    ToolPairingError,
    UsageError,
)
from sessionforge.interop.importers import (
    from_anthropic_messages,
    from_langchain,
    from_openai_agents_items,
    from_openai_messages,
    import_messages,
    messages_from_document,
    read_document,
)
from sessionforge.interop.portable import export_session, import_session
from sessionforge.storage.base import Store


async def _export(store: Store) -> list[str]:
    manager = SessionManager(store=store, system_prompt="sys")
    await manager.user_says("hello")
    await manager.ai_responds("hi there", model="gpt-4o-mini")
    return (await export_session(manager.session_id, store)).splitlines()


def _with_record(lines: list[str], record: Any, at: int = 2) -> list[str]:
    """The export with the record of body line ``at`` replaced."""
    line = json.loads(lines[at])
    return [*lines[:at], json.dumps({"seq": line["seq"], "record": record}), *lines[at + 1 :]]


NOT_EVENTS = [
    ({"foo": "bar"}, "not a session event"),
    ({"id": "x", "type": "message", "colour": "red"}, "unknown keys"),
    ({"type": "message"}, "no string 'id'"),
    ({"id": "x", "type": "telepathy"}, "not a session event"),
    ({"id": "x", "type": "message", "chat": {"role": "wizard"}}, "not a session event"),
    ({"id": "x", "type": "message", "timestamp": "yesterday"}, "not a session event"),
    ([1, 2, 3], "not a record line"),
    ("text", "not a record line"),
]


async def test_records_that_are_not_events_are_refused_and_nothing_is_written(store: Store) -> None:
    lines = await _export(store)
    for record, reason in NOT_EVENTS:
        with pytest.raises(MessageFormatError, match=reason) as info:
            await import_session(_with_record(lines, record), store, new_session_id="copy")
        assert "line 3" in str(info.value)
        assert await store.load("copy") == []


async def test_duplicate_record_ids_are_refused_before_writing(store: Store) -> None:
    lines = await _export(store)
    duplicate = json.loads(lines[2])["record"]
    with pytest.raises(MessageFormatError, match="share the id"):
        await import_session(_with_record(lines, duplicate, at=3), store, new_session_id="copy")
    assert await store.load("copy") == []


async def test_records_that_do_not_make_a_session_are_removed_again(store: Store) -> None:
    lines = await _export(store)
    create = json.loads(lines[1])["record"]
    create["message"]["runs"] = {"r1": {"status": "teleported"}}  # each line is a valid event
    with pytest.raises(MessageFormatError, match="do not make a session"):
        await import_session(_with_record(lines, create, at=1), store, new_session_id="copy")
    assert await store.load("copy") == []
    assert "copy" not in await store.list_sessions()


async def test_a_record_the_store_cannot_keep_leaves_nothing(store: Store) -> None:
    lines = await _export(store)
    record = json.loads(lines[2])["record"]
    record["metadata"] = {"k": _nested(150)}  # valid JSON, an event, but deeper than a store keeps
    with pytest.raises(UsageError, match="nested deeper"):
        await import_session(_with_record(lines, record), store, new_session_id="copy")
    assert await store.load("copy") == []


async def test_unknown_export_versions_are_refused(store: Store) -> None:
    lines = await _export(store)
    for version, reason in [
        (0, "not one sessionforge writes"),
        (-1, "not one"),
        (True, "not one"),
        ("1", "not one"),
        (None, "not one"),
        (2, "upgrade"),
    ]:
        header = {**json.loads(lines[0]), "version": version}
        with pytest.raises(MessageFormatError, match=reason) as info:
            await import_session([json.dumps(header), *lines[1:]], store, new_session_id="copy")
        assert info.value.field == "version"
        assert await store.load("copy") == []


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        '{"format": "sessionforge.session", "version": 1, "x": ' + "[" * 300 + "]" * 300 + "}",
    ],
    ids=["deep-header", "deep-field"],
)
async def test_deeply_nested_exports_are_format_errors(store: Store, text: str) -> None:
    with pytest.raises(MessageFormatError):
        await import_session(text, store, new_session_id="copy")


async def test_a_deeply_nested_record_line_is_a_format_error(store: Store) -> None:
    lines = await _export(store)
    deep = '{"seq": 2, "record": ' + '{"a": ' * 400 + "1" + "}" * 400 + "}"
    with pytest.raises(MessageFormatError, match="line 3"):
        await import_session([*lines[:2], deep, *lines[3:]], store, new_session_id="copy")


@pytest.mark.parametrize("data", [b"\xff\xfe", ["ok", 5]], ids=["not-utf8", "not-lines"])
async def test_input_that_is_not_text_lines_is_refused(store: Store, data: Any) -> None:
    with pytest.raises(MessageFormatError):
        await import_session(data, store, new_session_id="copy")


# ---- foreign message lists -----------------------------------------------------------------------


MALFORMED = [
    (from_openai_messages, "hello", "expected a list"),
    (from_openai_messages, [1], "OpenAI message 0: it is a int"),
    (from_openai_messages, [{"role": "assistant", "tool_calls": [{"id": "c"}]}], "'function' is missing"),
    (from_openai_messages, [{"role": "assistant", "tool_calls": {"id": "c"}}], "must be a list"),
    (from_openai_messages, [{"role": "tool", "content": "x"}], "'tool_call_id' is missing"),
    (from_openai_messages, [{"role": "user", "content": "\ud800"}], "lone surrogate"),
    (from_anthropic_messages, [{"role": "user", "content": 5}], "must be text or a list of blocks"),
    (from_anthropic_messages, [{"role": "user", "content": ["x"]}], "content block 0 is not an object"),
    (from_anthropic_messages, [{"role": "assistant", "content": [{"type": "tool_use"}]}], "'id' is missing"),
    (from_anthropic_messages, [{"role": "system", "content": "x"}], "cannot import an Anthropic message"),
    (from_langchain, [{"type": "human", "data": 3}], "'data' must be an object"),
    (from_langchain, [{"type": "ai", "data": {"tool_calls": [{"args": {}}]}}], "'name' is missing"),
    (from_langchain, [{"type": "alien", "data": {}}], "cannot import a LangChain message"),
    (from_openai_agents_items, [{"type": "function_call", "name": "f"}], "'call_id' is missing"),
    (from_openai_agents_items, {"type": "message"}, "expected a list"),
]


@pytest.mark.parametrize(("read", "data", "reason"), MALFORMED, ids=[r for _, _, r in MALFORMED])
def test_malformed_foreign_lists_name_the_item(read: Any, data: Any, reason: str) -> None:
    with pytest.raises(MessageFormatError, match=reason):
        read(data)


def test_documents_are_parsed_with_bounded_nesting() -> None:
    with pytest.raises(MessageFormatError, match="not a JSON document"):
        read_document("[" * 100_000)
    with pytest.raises(MessageFormatError, match="not a JSON document"):
        read_document("{'role': 'user'}", source="chat.json")
    data = read_document('{"system": "s", "messages": [{"role": "user", "content": "hi"}]}')
    assert [m.role for m in messages_from_document(data, "anthropic")] == ["system", "user"]
    with pytest.raises(MessageFormatError, match="without a 'messages' list"):
        messages_from_document({"items": []}, "openai")
    with pytest.raises(MessageFormatError, match="unknown format"):
        messages_from_document([], "yaml")


async def test_import_repairs_tool_pairing_with_a_warning_per_change(store: Store) -> None:
    messages = [
        ChatMessage.user("add them"),
        ChatMessage.assistant(
            None, tool_calls=[ToolCall(id="c1", name="add"), ToolCall(id="c2", name="add")]
        ),
        ChatMessage.tool("3", tool_call_id="c1"),
        ChatMessage.tool("orphan", tool_call_id="zz"),
        ChatMessage.user("and again"),
        ChatMessage.assistant(None, tool_calls=[ToolCall(id="c1", name="add")]),
        ChatMessage.tool("7", tool_call_id="c1"),
    ]
    warnings: list[str] = []
    session_id = await import_messages(messages, store, "repaired", on_warning=warnings.append)
    assert len(warnings) == 3
    history = (await ChatSession.aload(session_id, store)).history
    assert [(m.role, m.tool_call_id, m.text) for m in history if m.role == "tool"] == [
        ("tool", "c1", "3"),
        ("tool", "c2", NO_RESULT),
        ("tool", "c1~2", "7"),
    ]
    with pytest.raises(ToolPairingError):
        await import_messages(messages, store, "strict", repair=False)
    assert await store.load("strict") == []


async def test_a_failed_import_of_messages_leaves_nothing(store: Store) -> None:
    with pytest.raises(MessageFormatError, match=r"metadata\.when: set is not a JSON value"):
        await import_messages([ChatMessage.user("hi")], store, "meta", metadata={"when": {1, 2}})
    assert await store.load("meta") == []
    with pytest.raises(MessageFormatError, match="not a ChatMessage"):
        await import_messages([{"role": "user", "content": "hi"}], store, "dicts")  # type: ignore[list-item]
    with pytest.raises(UsageError, match="invalid session id"):
        await import_messages([ChatMessage.user("hi")], store, "bad\n")


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value
