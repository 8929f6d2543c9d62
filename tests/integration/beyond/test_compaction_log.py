"""Compaction appends a record of the view; the store keeps every event; preview and undo work."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sessionforge import ChatMessage, ChatSession, SessionManager
from sessionforge.context.compactors import Compactor, SlidingWindowCompactor, TruncateCompactor
from sessionforge.core.events import EventType
from sessionforge.interop.portable import export_records
from sessionforge.storage.base import Store
from sessionforge.storage.session import Session

COMPACTORS: list[Callable[[], Compactor]] = [TruncateCompactor, lambda: SlidingWindowCompactor(window=4)]


def _chat() -> ChatSession:
    chat = ChatSession(system_prompt="You are terse.", model="gpt-4o-mini")
    for i in range(8):
        chat.add_message(ChatMessage.user(f"question {i} about the weather in some city"))
        chat.add_message(ChatMessage.assistant(f"answer {i}: it is sunny and warm today"))
    return chat


@pytest.mark.parametrize("make_compactor", COMPACTORS)
def test_chat_session_preview_compact_reload_undo(
    make_store: Callable[[], Store], make_compactor: Callable[[], Compactor]
) -> None:
    store = make_store()
    chat = _chat()
    chat.save(store)
    full = chat.messages

    preview = chat.preview_compaction(80, make_compactor())
    assert chat.messages == full and not chat.compactions  # a preview changes nothing
    chat.compactor = make_compactor()
    report = chat.compact(80)
    assert list(preview.view_after) == chat.messages
    assert report.after_tokens <= 80 < report.before_tokens
    chat.save(store)

    reloaded = ChatSession.load(chat.session_id, store)
    assert reloaded.messages == chat.messages  # the view is rebuilt from the record
    assert reloaded.history == chat.history  # and nothing left the store
    assert len(reloaded.compactions) == 1

    reloaded.add_message(ChatMessage.user("one more"))
    undo = reloaded.undo_compaction()
    assert undo is not None and undo.action == "undo"
    assert reloaded.messages == [*full, reloaded.history[-1]]
    reloaded.save(store)
    assert ChatSession.load(chat.session_id, store).messages == reloaded.messages
    assert reloaded.undo_compaction() is None


async def test_chat_session_compaction_record_contents(store: Store) -> None:
    chat = _chat()
    chat.compact(80)
    await chat.asave(store)
    twin = await Session.load(chat.session_id, store)
    assert twin is not None
    records = [e for e in twin.events if e.type == EventType.COMPACTION]
    assert len(records) == 1
    body = records[0].message
    ids = {e.message.text: e.id for e in twin.events if isinstance(e.message, ChatMessage)}
    assert ids["question 0 about the weather in some city"] in body["dropped"]
    assert body["compactor"] == "TruncateCompactor()"
    assert body["before_tokens"] > body["after_tokens"]
    assert len([e for e in twin.events if isinstance(e.message, ChatMessage)]) == 16  # all still stored
    assert twin.system_prompt == "You are terse."  # a setting of the session, not an event
    assert (await ChatSession.aload(chat.session_id, store)).messages == chat.messages


@pytest.mark.parametrize("make_compactor", COMPACTORS)
async def test_manager_preview_compact_reload_undo(
    store: Store, make_compactor: Callable[[], Compactor]
) -> None:
    manager = SessionManager(store=store, system_prompt="You are terse.", model="gpt-4o-mini")
    for i in range(8):
        await manager.user_says(f"question {i} about the weather in some city")
        await manager.ai_responds(f"answer {i}: it is sunny and warm today", model="gpt-4o-mini")
    await manager.tool_used("weather", {"city": "Oslo"}, {"sky": "clear"})
    full = await manager.get_messages_for_llm()

    preview = await manager.preview_compaction(90, make_compactor())
    assert await manager.get_messages_for_llm() == full
    record = await manager.compact(90, make_compactor())
    assert record == preview.record.model_copy(update={"added": record.added})
    assert record.after_tokens <= 90 < record.before_tokens
    assert record.dropped and record.compactor == repr(make_compactor())
    view = await manager.get_messages_for_llm()
    assert view[0]["content"] == "You are terse." and len(view) < len(full)
    assert [m.text for m in preview.messages] == [m["content"] or "" for m in view[1:]]

    resumed = SessionManager(session_id=manager.session_id, store=store)
    assert await resumed.get_messages_for_llm() == view  # rebuilt from the record on load
    header, records = await export_records(manager.session_id, store)
    assert header.records == len(records) and sum(r.record["type"] == "message" for r in records) == 16

    await resumed.user_says("and tomorrow?")
    undo = await resumed.undo_compaction()
    assert undo is not None and undo.undoes is not None
    after_undo = await resumed.get_messages_for_llm()
    assert after_undo[:-1] == full and after_undo[-1]["content"] == "and tomorrow?"
    assert await resumed.undo_compaction() is None


def test_a_compactions_view_before_is_what_the_model_saw(make_store: Callable[[], Store]) -> None:
    """The summary a compaction writes is stored just before its record, yet is not part of the view
    it replaced: not in the session that compacted, not after a reload."""
    from sessionforge import SummarizeCompactor

    store = make_store()
    chat = _chat()
    seen = chat.messages
    chat.compactor = SummarizeCompactor(lambda request: "the user asks about the weather", keep_recent=2)
    report = chat.compact(120)
    assert report.added and list(report.view_before) == seen
    chat.save(store)
    [reloaded] = ChatSession.load(chat.session_id, store).compactions
    assert list(reloaded.view_before) == seen and reloaded.view_after == report.view_after
