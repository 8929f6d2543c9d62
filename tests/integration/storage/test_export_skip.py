"""An export of many sessions skips, with a warning, one that cannot be read, on every backend."""

from __future__ import annotations

import pytest

from servers.backends import Backend
from sessionforge import SessionManager
from sessionforge.errors import CorruptRecordError, SessionforgeError, SessionNotFound
from sessionforge.interop.portable import export_sessions, import_session
from sessionforge.storage.base import BaseStore
from sessionforge.storage.memory import MemoryStore


async def test_an_unreadable_session_is_skipped_and_the_rest_exported(
    store: BaseStore, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = []
    for text in ("one", "two", "three"):
        manager = SessionManager(store=store)
        await manager.user_says(text)
        sessions.append(manager.session_id)
    first, broken, last = sessions
    backend.corrupt(store, broken, 2, "{damaged")
    ids = [first, broken, "never-written", last]

    skipped: list[tuple[str, SessionforgeError]] = []
    exported = [
        (sid, text)
        async for sid, text in export_sessions(
            ids, store, on_skip=lambda sid, exc: skipped.append((sid, exc))
        )
    ]
    assert [sid for sid, _ in exported] == [first, last]
    assert [(sid, type(exc)) for sid, exc in skipped] == [
        (broken, CorruptRecordError),
        ("never-written", SessionNotFound),
    ]
    target = MemoryStore()
    for sid, text in exported:  # what was exported is whole
        assert await import_session(text, target) == sid

    assert [sid async for sid, _ in export_sessions(ids, store)] == [first, last]
    assert f"export skipped session {broken!r}" in caplog.text
    assert "record 2 of session" in caplog.text
