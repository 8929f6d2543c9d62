"""Messages enter a session only if they can be stored and paired: a refusal changes nothing."""

from __future__ import annotations

import pytest

from sessionforge import ChatMessage, ChatSession, SessionManager, ToolCall
from sessionforge.errors import RecordFormatError, ToolPairingError
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.session import Session


async def test_a_refused_event_leaves_the_manager_writable() -> None:
    store = MemoryStore()
    sm = SessionManager(store=store, model="gpt-4o-mini")
    await sm.user_says("hello")
    with pytest.raises(RecordFormatError, match="tags"):
        await sm.user_says("tagged", tags={"a", "b"})  # a set is not JSON: it would not read back
    await sm.user_says("still writable")
    stored = await Session.load(sm.session_id, store)
    assert stored is not None
    assert [e.message for e in stored.events] == ["hello", "still writable"]
    assert [m["content"] for m in await sm.get_messages_for_llm()] == ["hello", "still writable"]
    assert (await sm.get_stats())["user_messages"] == 2


async def test_a_refused_event_leaves_a_chat_session_writable() -> None:
    store = MemoryStore()
    chat = ChatSession(system_prompt="sys")
    chat.add_message(ChatMessage.user("hello"))
    await chat.asave(store)
    chat.session.append_event(
        chat.session.events[0].model_copy(update={"id": "x", "seq": None, "metadata": {"n": {1}}})
    )
    with pytest.raises(RecordFormatError):
        await chat.asave(store)
    chat.add_message(ChatMessage.assistant("hi"))
    await chat.asave(store)
    assert [m.text for m in (await ChatSession.aload(chat.session_id, store)).messages] == [
        "sys",
        "hello",
        "hi",
    ]


def _call(call_id: str) -> ChatMessage:
    return ChatMessage.assistant(None, tool_calls=[ToolCall(id=call_id, name="add", arguments={"a": 1})])


@pytest.mark.parametrize(
    ("messages", "kind"),
    [
        ([ChatMessage.tool("2", tool_call_id="nope")], "answers no open tool call"),
        ([_call("c1"), ChatMessage.user("next")], "never answered"),
        ([_call("c1"), ChatMessage.tool("1", tool_call_id="c1"), _call("c1")], "reuses"),
    ],
)
def test_tool_pairing_is_checked_as_messages_enter(messages: list[ChatMessage], kind: str) -> None:
    chat = ChatSession()
    chat.add_message(ChatMessage.user("add one"))
    *fine, wrong = messages
    for message in fine:
        chat.add_message(message)
    before = (chat.messages, chat.history, len(chat.session.events))
    with pytest.raises(ToolPairingError, match=kind):
        chat.add_message(wrong)
    assert (chat.messages, chat.history, len(chat.session.events)) == before


def test_a_paired_tool_call_goes_in() -> None:
    chat = ChatSession()
    chat.add_message(ChatMessage.user("add one"))
    chat.add_message(_call("c1"))
    chat.add_message(ChatMessage.tool("2", tool_call_id="c1"))
    chat.add_message(ChatMessage.user("thanks"))
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool", "user"]


async def test_a_message_is_dated_when_it_is_added_not_when_it_is_saved() -> None:
    import asyncio

    store = MemoryStore()
    chat = ChatSession()
    chat.add_message(ChatMessage.user("first"))
    await asyncio.sleep(0.3)
    chat.add_message(ChatMessage.assistant("second"))
    await chat.asave(store)
    sm = SessionManager(store=store)
    await sm.user_says("third")
    await asyncio.sleep(0.3)
    await sm.ai_responds("fourth")
    for session_id in (chat.session_id, sm.session_id):
        stored = await Session.load(session_id, store)
        assert stored is not None
        first, second = (e.timestamp for e in stored.events)
        assert (second - first).total_seconds() >= 0.3


def test_a_session_repr_names_it_without_spelling_out_its_events() -> None:
    from sessionforge.core.events import EventSource, EventType, SessionEvent

    events = [
        SessionEvent(source=EventSource.USER, type=EventType.MESSAGE, message=f"m{i}") for i in range(1000)
    ]
    session = Session(id="long", events=events)
    assert repr(session) == "Session(id='long', events=1000, parent_id=None, child_ids=[])"
