"""Every applied compaction and undo is logged once, by whichever face applied it; previews are not."""

from __future__ import annotations

import logging

import pytest

from sessionforge import ChatMessage, ChatSession, SessionManager, TruncateCompactor
from sessionforge.storage.memory import MemoryStore

LOGGER = "sessionforge.context"


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_chat_session_logs_an_automatic_compaction_and_its_undo(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    session = ChatSession(max_tokens=120, compactor=TruncateCompactor())
    for n in range(12):
        session.add_message(ChatMessage.user(f"message number {n} with a few more words in it"))
    logged = [line for line in lines(caplog) if " compacted " in line]
    assert logged and len(logged) == len(session.compactions)
    assert logged[0].startswith(f"session {session.session_id}: compacted ")
    assert "events hidden" in logged[0]
    caplog.clear()
    session.preview_compaction(40)
    assert lines(caplog) == []
    assert session.undo_compaction() is not None
    assert [line for line in lines(caplog) if " undone " in line]


async def test_manager_logs_compact_and_undo(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    sm = SessionManager(store=MemoryStore())
    for n in range(6):
        await sm.user_says(f"question {n} about the weather in the hills")
        await sm.ai_responds(f"answer {n}: mild, with rain later", model="gpt-4o")
    await sm.preview_compaction(40)
    assert lines(caplog) == []
    record = await sm.compact(40)
    (compacted,) = lines(caplog)
    assert compacted.startswith(f"session {sm.session_id}: compacted {record.before_tokens} -> ")
    assert f"{len(record.dropped)} events hidden" in compacted
    await sm.undo_compaction()
    assert "undone" in lines(caplog)[-1]
