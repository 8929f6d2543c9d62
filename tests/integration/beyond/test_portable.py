"""Export -> import round trips event by event; importers read real foreign data; migrate copies all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessionforge import ChatMessage, ChatSession, SessionManager
from sessionforge.errors import MessageFormatError, SessionAlreadyExists, UsageError
from sessionforge.interop.importers import (
    from_anthropic_messages,
    from_openai_messages,
    import_messages,
    import_openai_agents_sqlite,
)
from sessionforge.interop.portable import export_session, import_session, migrate
from sessionforge.storage.base import Store
from sessionforge.storage.forks import fork
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.session import Session
from sessionforge.storage.sqlite import SQLiteStore


async def _records(store: Store, session_id: str) -> list[dict[str, object]]:
    session = await Session.load(session_id, store)
    assert session is not None
    return [e.to_record() for e in session.events]


async def _rich_session(store: Store) -> SessionManager:
    manager = SessionManager(store=store, system_prompt="sys", metadata={"user": "ada"})
    for i in range(4):
        await manager.user_says(f"q{i}")
        await manager.ai_responds(f"a{i}", model="gpt-4o")
    await manager.tool_used("calc", {"a": 1}, {"sum": 2})
    await manager.compact(40)
    return manager


async def test_round_trip_is_equal_event_by_event(store: Store) -> None:
    manager = await _rich_session(store)
    text = await export_session(manager.session_id, store)
    header = json.loads(text.splitlines()[0])
    assert header["format"] == "sessionforge.session" and header["version"] == 1
    target = MemoryStore()
    new_id = await import_session(text, target, new_session_id="copy")
    assert await _records(target, new_id) == await _records(store, manager.session_id)
    original = await Session.load(manager.session_id, store)
    copied = await Session.load(new_id, target)
    assert original is not None and copied is not None
    assert copied.metadata.properties == original.metadata.properties
    again = SessionManager(session_id=new_id, store=target)
    assert await again.get_messages_for_llm() == await manager.get_messages_for_llm()
    with pytest.raises(SessionAlreadyExists):
        await import_session(text, target, new_session_id="copy")
    with pytest.raises(UsageError, match="invalid session id ''"):  # not "keep the exported id"
        await import_session(text, target, new_session_id="")
    assert await target.list_sessions() == ["copy"]


async def test_forks_export_by_reference_or_inline(store: Store) -> None:
    manager = await _rich_session(store)
    child = await fork(manager.session_id, at=3, store=store)
    by_reference = await export_session(child, store)
    assert json.loads(by_reference.splitlines()[0])["fork_of"] == {"session_id": manager.session_id, "seq": 3}
    inline = await export_session(child, store, inline_forks=True)
    target = MemoryStore()
    standalone = await import_session(inline, target)
    assert await _records(target, standalone) == await _records(store, child)
    # By reference, the fork reads once its parent is there too.
    await import_session(
        await export_session(manager.session_id, store), target, new_session_id=manager.session_id
    )
    referenced = await import_session(by_reference, target, new_session_id="by-ref")
    assert await _records(target, referenced) == await _records(store, child)


async def test_import_refuses_newer_versions_and_truncated_files(store: Store) -> None:
    manager = await _rich_session(store)
    lines = (await export_session(manager.session_id, store)).splitlines()
    newer = json.dumps({**json.loads(lines[0]), "version": 99})
    with pytest.raises(MessageFormatError, match="upgrade"):
        await import_session([newer, *lines[1:]], store, new_session_id="x1")
    with pytest.raises(MessageFormatError, match="truncated"):
        await import_session(lines[:-1], store, new_session_id="x2")


async def test_openai_agents_sdk_sqlite_file(store: Store, tmp_path: Path) -> None:
    import agents  # the real SDK writes the file (a dev dependency)

    path = tmp_path / "agents.db"
    sdk = agents.SQLiteSession("support-42", str(path))
    await sdk.add_items(
        [
            {"role": "user", "content": "What is 2+3?"},
            {"type": "function_call", "call_id": "call_1", "name": "add", "arguments": '{"a": 2, "b": 3}'},
            {"type": "function_call_output", "call_id": "call_1", "output": "5"},
            {
                "type": "message",
                "role": "assistant",
                "id": "msg_1",
                "status": "completed",
                "content": [{"type": "output_text", "text": "It is 5.", "annotations": []}],
            },
        ]
    )
    sdk.close()
    imported = await import_openai_agents_sqlite(path, store)
    assert imported == {"support-42": "support-42"}
    chat = await ChatSession.aload("support-42", store)
    assert [m.role for m in chat.history] == ["user", "assistant", "tool", "assistant"]
    assert chat.history[1].tool_calls[0].arguments == {"a": 2, "b": 3}
    assert chat.history[2].tool_call_id == "call_1" and chat.history[3].text == "It is 5."


async def test_langchain_dump(store: Store) -> None:
    import langchain_core.messages as messages  # a real LangChain dump (a dev dependency)

    dump = messages.messages_to_dict(
        [
            messages.SystemMessage("Be kind."),
            messages.HumanMessage("Weather in Paris?"),
            messages.AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "t1"}]),
            messages.ToolMessage("rain", tool_call_id="t1"),
            messages.AIMessage("It rains."),
        ]
    )
    from sessionforge.interop.importers import from_langchain

    session_id = await import_messages(from_langchain(json.loads(json.dumps(dump))), store, "lc")
    chat = await ChatSession.aload(session_id, store)
    assert [m.role for m in chat.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert chat.system_prompt == "Be kind."
    assert chat.messages[2].tool_calls[0].arguments == {"city": "Paris"}


def test_plain_openai_and_anthropic_lists() -> None:
    openai = from_openai_messages(
        [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ]
    )
    assert [m.role for m in openai] == ["system", "user", "assistant", "tool"]
    anthropic = from_anthropic_messages(
        [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "tu1", "name": "f", "input": {"x": 1}},
                ],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu1", "content": "done"}]},
        ],
        system="sys",
    )
    assert [m.role for m in anthropic] == ["system", "user", "assistant", "tool"]
    assert anthropic[2].tool_calls[0].arguments == {"x": 1}
    ChatSession.from_dict_list([m.to_dict() for m in anthropic])  # a valid conversation
    with pytest.raises(MessageFormatError):
        from_openai_messages([{"role": "robot", "content": "?"}])
    assert openai[1].text == "hi" and openai[2].tool_calls[0].name == "f"


async def test_migrate_between_two_sqlite_files(tmp_path: Path) -> None:
    source_url, target_url = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    source = SQLiteStore(str(tmp_path / "a.db"))
    manager = await _rich_session(source)
    await fork(manager.session_id, at=4, store=source, new_session_id="branch")
    chat = ChatSession(system_prompt="s", session_id="chat-1")
    chat.add_message(ChatMessage.user("hello"))
    await chat.asave(source)
    await source.aclose()

    seen: list[tuple[int, int, str]] = []
    report = await migrate(source_url, target_url, progress=lambda d, t, s: seen.append((d, t, s)))
    assert report.sessions == 3 and not report.skipped
    assert [s[0] for s in seen] == [1, 2, 3] and all(s[1] == 3 for s in seen)
    source, target = SQLiteStore(str(tmp_path / "a.db")), SQLiteStore(str(tmp_path / "b.db"))
    for session_id in await source.list_sessions():
        assert await _records(target, session_id) == await _records(source, session_id)
    assert len(await _records(target, "branch")) == 3  # the fork still resolves its parent
    again = await migrate(source_url, target_url)
    assert again.records == 0 and len(again.skipped) == 3
    await source.aclose()
    await target.aclose()
