"""``Session.append_and_save`` stores what ``append_event`` + ``save`` store, and behaves the same on
refusals, failures and other writers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from sessionforge import open_store
from sessionforge.core.events import EventSource, EventType, SessionEvent
from sessionforge.errors import RecordFormatError
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.session import Session


def turn(text: str, **metadata: Any) -> SessionEvent:
    return SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, text, metadata)


async def test_it_stores_the_same_records_as_append_then_save() -> None:
    store = open_store("memory://")
    fast = await Session.create(store=store, metadata={"k": 1})
    slow = await Session.create(store=store, metadata={"k": 1})
    for i in range(5):
        a, b = turn(f"q{i}", i=i), turn(f"q{i}", i=i)
        b.id, b.timestamp = a.id, a.timestamp
        assert await fast.append_and_save([a]) == []
        slow.append_event(b)
        await slow.save()
    both = [await store.load(s.id) for s in (fast, slow)]
    assert [r.record for r in both[0][1:]] == [r.record for r in both[1][1:]]
    assert [e.seq for e in fast.events] == [2, 3, 4, 5, 6] == [e.seq for e in slow.events]
    assert fast.stored_events == 5
    reloaded = await Session.load(fast.id, store)
    assert reloaded is not None and reloaded.events == fast.events


async def test_metadata_changed_meanwhile_is_saved_with_the_events() -> None:
    store = open_store("memory://")
    session = await Session.create(store=store)
    await session.metadata.set_property("budget", {"spent": 1})
    await session.append_and_save([turn("hi")])
    reloaded = await Session.load(session.id, store)
    assert reloaded is not None and reloaded.metadata.properties == {"budget": {"spent": 1}}
    assert [e.message for e in reloaded.events] == ["hi"]


async def test_a_refused_event_is_dropped_and_the_session_stays_writable() -> None:
    store = open_store("memory://")
    session = await Session.create(store=store)
    with pytest.raises(RecordFormatError):
        await session.append_and_save([turn("bad", when={1, 2})])
    assert session.events == []
    await session.append_and_save([turn("good")])
    reloaded = await Session.load(session.id, store)
    assert reloaded is not None and [e.message for e in reloaded.events] == ["good"]


class FailingOnce(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.fail = False

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        if self.fail:
            self.fail = False
            raise ConnectionError("the connection dropped")
        return await super().append(session_id, records)


async def test_a_failed_append_is_retried_by_the_next_save() -> None:
    store = FailingOnce()
    session = await Session.create(store=store)
    store.fail = True
    with pytest.raises(ConnectionError):
        await session.append_and_save([turn("one")])
    assert [e.message for e in session.events] == ["one"] and session.events[0].seq is None
    await session.append_and_save([turn("two")])
    reloaded = await Session.load(session.id, store)
    assert reloaded is not None and [e.message for e in reloaded.events] == ["one", "two"]


async def test_other_writers_events_are_taken_in_before_ours() -> None:
    store = open_store("memory://")
    mine = await Session.create(store=store)
    theirs = await Session.load(mine.id, store)
    assert theirs is not None
    await theirs.append_and_save([turn("theirs")])
    others = await mine.append_and_save([turn("mine")])
    assert [e.message for e in others] == ["theirs"]
    assert [e.message for e in mine.events] == ["theirs", "mine"]
    assert [e.seq for e in mine.events] == [2, 3]
