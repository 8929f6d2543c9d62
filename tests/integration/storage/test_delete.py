"""delete: a session and all its records go; True only if it existed."""

from __future__ import annotations

from sessionforge.storage.base import BaseStore


async def test_delete_removes_everything(store: BaseStore) -> None:
    await store.append("gone", [{"id": "a"}, {"id": "b"}])
    await store.append("kept", [{"id": "a"}])
    assert await store.delete("gone") is True
    assert await store.load("gone") == []
    assert await store.list_sessions() == ["kept"]
    assert await store.delete("gone") is False
    assert len(await store.load("kept")) == 1


async def test_a_deleted_session_starts_again_at_one(store: BaseStore) -> None:
    await store.append("s", [{"id": "a"}, {"id": "b"}])
    await store.delete("s")
    assert await store.append("s", [{"id": "a"}]) == 1


async def test_deleting_an_unknown_session(store: BaseStore) -> None:
    assert await store.delete("never") is False
