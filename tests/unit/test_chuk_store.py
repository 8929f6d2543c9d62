"""ChukSessionsStore over any Store, and ChatSession persisted into the same stores."""

from __future__ import annotations

import pytest

from sessionforge import ChatMessage, ChatSession, ChukSessionsStore, Session, SessionStorage
from sessionforge.errors import SessionNotFound, UsageError
from sessionforge.storage.memory import MemoryStore


async def test_get_save_delete_list() -> None:
    backend = MemoryStore()
    store = ChukSessionsStore(backend)
    assert SessionStorage is ChukSessionsStore
    session = Session(id="user-1")
    session.metadata.properties["topic"] = "x"
    await store.save(session)
    await Session.create(session_id="other", store=backend)
    assert await store.list_sessions(prefix="user-") == ["user-1"]
    loaded = await store.get("user-1")
    assert loaded is not None
    assert loaded.metadata.properties == {"topic": "x"}
    assert await store.delete("user-1") is True
    assert await store.get("user-1") is None
    with pytest.raises(UsageError):
        await store.save(None)  # type: ignore[arg-type]


async def test_default_backend_is_the_default_store() -> None:
    session = await Session.create()
    assert await ChukSessionsStore().get(session.id) is not None


async def test_chat_session_saves_incrementally_and_loads_back() -> None:
    backend = MemoryStore()
    chat = ChatSession(system_prompt="be brief", model="gpt-4o", metadata={"k": 1})
    chat.add_message(ChatMessage.user("hello"))
    await chat.asave(backend)
    first = len(await backend.load(chat.session_id))
    chat.add_message(ChatMessage.assistant("hi"))
    await chat.asave(backend)
    assert len(await backend.load(chat.session_id)) == first + 1  # one new message, nothing else

    loaded = await ChatSession.aload(chat.session_id, backend)
    assert loaded.messages == chat.messages
    assert loaded.system_prompt == "be brief"
    assert loaded.model == "gpt-4o"
    assert loaded.metadata == {"k": 1}
    loaded.add_message(ChatMessage.user("again"))
    await loaded.asave(backend)
    assert len(await backend.load(chat.session_id)) == first + 2


def test_chat_session_sync_save_and_load() -> None:
    backend = MemoryStore()
    chat = ChatSession(system_prompt="sys")
    chat.add_message(ChatMessage.user("question"))
    chat.save(backend)
    assert ChatSession.load(chat.session_id, backend).messages == chat.messages
    with pytest.raises(SessionNotFound):
        ChatSession.load("missing", backend)


def test_chat_session_default_store() -> None:
    chat = ChatSession()
    chat.add_message(ChatMessage.user("question"))
    chat.save()
    assert ChatSession.load(chat.session_id).messages == chat.messages


async def test_the_blocking_face_works_inside_a_running_loop() -> None:
    """A notebook cell runs inside an event loop: the blocking calls still work there."""
    backend = MemoryStore()
    chat = ChatSession(system_prompt="sys")
    chat.add_message(ChatMessage.user("question"))
    chat.save(backend)
    assert ChatSession.load(chat.session_id, backend).messages == chat.messages
