"""A message made from an event (a tracked turn, a recorded tool use, a summary) is dated with the
event, so every projection of it, a reload's too, gives an equal message."""

from __future__ import annotations

from sessionforge import SessionManager, open_store
from sessionforge.core.projection import event_messages
from sessionforge.storage.session import Session


async def test_projected_messages_read_back_equal_with_their_dates() -> None:
    store = open_store("memory://")
    manager = SessionManager(system_prompt="You help.", store=store)
    await manager.user_says("What is 2 + 2?")
    await manager.tool_used("calculator", {"expression": "2 + 2"}, {"value": 4})
    await manager.ai_responds("4", model="gpt-4o-mini", provider="openai")
    session_id = manager.session_id
    written = await Session.load(session_id, store)
    reloaded = await Session.load(session_id, store)
    assert written is not None and reloaded is not None
    before = [m for event in written.events for m in event_messages(event)]
    after = [m for event in reloaded.events for m in event_messages(event)]
    assert [m.role for m in before] == ["user", "assistant", "tool", "assistant"]
    assert after == before  # created_at included
    stamps = {event.id: event.timestamp for event in written.events}
    for event in written.events:
        for message in event_messages(event):
            assert message.created_at == stamps[event.id]


async def test_the_system_prompt_reads_back_equal_through_every_face() -> None:
    """The prompt is a setting of the session: its message is dated with the session, whichever
    face set it, so a face reopened on the session gives an equal one."""
    from sessionforge import ChatSession

    store = open_store("memory://")
    manager = SessionManager(system_prompt="You help.", store=store)
    await manager.user_says("Hi")
    await manager.update_system_prompt("You help briefly.")
    reopened = SessionManager(session_id=manager.session_id, store=store)
    assert await reopened.get_messages() == await manager.get_messages()
    chat = await ChatSession.aload(manager.session_id, store)
    assert chat.messages == await manager.get_messages()

    chat.set_system_prompt("Answer in French.")
    await chat.asave()
    again = await ChatSession.aload(manager.session_id, store)
    assert again.messages == chat.messages
    assert again.messages[0].created_at == chat.session.metadata.created_at
