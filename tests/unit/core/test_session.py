"""Session: an append-only log folded on load; saves append only what is new."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from sessionforge import EventSource, EventType, SessionEvent
from sessionforge.core.session import RunStatus, SessionRun
from sessionforge.errors import CorruptRecordError, SessionAlreadyExists, SessionNotFound
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.session import Session


class CountingStore(MemoryStore):
    """A memory store that remembers every append, and can fail once after writing."""

    def __init__(self) -> None:
        super().__init__()
        self.appends: list[list[dict[str, Any]]] = []
        self.fail_after_write = False

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        self.appends.append([dict(r) for r in records])
        last = await super().append(session_id, records)
        if self.fail_after_write:
            self.fail_after_write = False
            raise ConnectionError("the reply was lost after the write landed")
        return last


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


async def _event(text: str, source: EventSource = EventSource.USER) -> SessionEvent:
    return await SessionEvent.create_with_tokens(message=text, prompt=text, model="gpt-4o", source=source)


async def test_create_writes_one_meta_record_and_load_folds_it(store: CountingStore) -> None:
    session = await Session.create(metadata={"user_id": "u1"}, store=store)
    assert len(store.appends) == 1
    [record] = store.appends[0]
    assert record["type"] == EventType.SESSION_META.value
    assert record["message"]["op"] == "create"

    loaded = await Session.load(session.id, store)
    assert loaded is not None
    assert loaded.metadata.properties == {"user_id": "u1"}
    assert loaded.metadata.created_at == session.metadata.created_at
    assert loaded.events == []


async def test_saving_appends_only_new_events_and_assigns_seq(store: CountingStore) -> None:
    session = await Session.create(store=store)
    first = await _event("hello")
    await session.add_event_and_save(first)
    assert first.seq == 2
    assert [r["id"] for r in store.appends[-1]] == [first.id]  # no meta patch for an event

    second = await _event("hi", EventSource.LLM)
    await session.add_event_and_save(second)
    assert second.seq == 3
    assert [r["id"] for r in store.appends[-1]] == [second.id]

    await session.save()  # nothing new: nothing written
    assert len(store.appends) == 3


async def test_metadata_changes_are_appended_as_patches(store: CountingStore) -> None:
    session = await Session.create(metadata={"a": 1}, store=store)
    await session.metadata.set_property("b", 2)
    session.state["step"] = 3
    run = SessionRun()
    session.runs.append(run)
    await run.mark_running()
    await session.save()
    patch = store.appends[-1][0]["message"]
    assert patch["op"] == "patch"
    assert patch["properties"] == {"b": 2}
    assert patch["state"] == {"step": 3}

    await run.mark_completed()
    del session.metadata.properties["a"]
    await session.save()

    loaded = await Session.load(session.id, store)
    assert loaded is not None
    assert loaded.metadata.properties == {"b": 2}
    assert loaded.state == {"step": 3}
    assert [r.status for r in loaded.runs] == [RunStatus.COMPLETED]
    assert loaded.runs[0].ended_at is not None


async def test_child_is_registered_in_the_parent_log(store: CountingStore) -> None:
    parent = await Session.create(store=store)
    child = await Session.create(parent_id=parent.id, store=store)
    loaded_parent = await Session.load(parent.id, store)
    loaded_child = await Session.load(child.id, store)
    assert loaded_parent is not None
    assert loaded_child is not None
    assert loaded_parent.child_ids == [child.id]
    assert loaded_child.parent_id == parent.id


async def test_create_refuses_taken_ids_and_unknown_parents(store: CountingStore) -> None:
    await Session.create(session_id="taken", store=store)
    with pytest.raises(SessionAlreadyExists):
        await Session.create(session_id="taken", store=store)
    with pytest.raises(SessionNotFound):
        await Session.create(parent_id="nobody", store=store)


async def test_a_retried_save_does_not_duplicate(store: CountingStore) -> None:
    session = await Session.create(store=store)
    event = await _event("once")
    await session.add_event(event)
    store.fail_after_write = True
    with pytest.raises(ConnectionError):
        await session.save()
    assert event.seq is None
    await session.save()  # the retry: the store skips the record it already holds
    assert event.seq == 2
    loaded = await Session.load(session.id, store)
    assert loaded is not None
    assert [e.id for e in loaded.events] == [event.id]


async def test_seqs_are_read_back_when_another_writer_appended(store: CountingStore) -> None:
    session = await Session.create(store=store)
    other = await Session.load(session.id, store)
    assert other is not None
    await other.add_event_and_save(await _event("from elsewhere"))
    mine = await _event("mine")
    await session.add_event_and_save(mine)
    assert mine.seq == 3
    assert [e.message for e in session.events] == ["from elsewhere", "mine"]  # taken in, in order
    assert [e.seq for e in session.events] == [2, 3]


async def test_refresh_reads_only_what_others_appended(store: CountingStore) -> None:
    session = await Session.create(metadata={"a": 1}, store=store)
    other = await Session.load(session.id, store)
    assert other is not None
    await other.add_event_and_save(await _event("elsewhere"))
    await other.metadata.set_property("b", 2)
    await other.save()
    taken = await session.refresh()
    assert taken is not None and [e.message for e in taken] == ["elsewhere"]
    assert [e.message for e in session.events] == ["elsewhere"]
    assert session.metadata.properties == {"a": 1, "b": 2}
    assert session.total_tokens == other.total_tokens
    assert session.last_seq == other.last_seq
    await session.save()  # nothing of its own to write
    assert await session.refresh() == []
    await store.delete(session.id)
    assert await session.refresh() is None


async def test_totals_are_running_sums(store: CountingStore) -> None:
    session = await Session.create(store=store)
    events = [await _event(f"message {i}") for i in range(5)]
    for event in events:
        await session.add_event(event)
    expected = sum(e.token_usage.total_tokens for e in events if e.token_usage)
    assert session.total_tokens == expected
    assert session.total_cost == pytest.approx(
        sum(e.token_usage.estimated_cost_usd or 0 for e in events if e.token_usage)
    )
    session.events.append(await _event("appended to the list directly"))
    assert session.total_tokens > expected
    assert session.token_summary.usage_by_model["gpt-4o"].total_tokens == session.total_tokens


async def test_a_corrupt_record_is_reported_not_skipped(store: CountingStore) -> None:
    session = await Session.create(store=store)
    await store.append(session.id, [{"id": "bad", "type": "not-a-type"}])
    with pytest.raises(CorruptRecordError) as info:
        await Session.load(session.id, store)
    assert info.value.session_id == session.id


async def test_saving_to_another_store_copies_the_log(store: CountingStore) -> None:
    session = await Session.create(metadata={"k": "v"}, store=store)
    await session.add_event_and_save(await _event("hello"))
    other = MemoryStore()
    await session.save(other)
    copy = await Session.load(session.id, other)
    assert copy is not None
    assert copy.metadata.properties == {"k": "v"}
    assert [e.message for e in copy.events] == ["hello"]


async def test_unknown_session_loads_as_none(store: CountingStore) -> None:
    assert await Session.load("missing", store) is None
