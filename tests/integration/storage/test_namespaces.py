"""Namespaces (the spec's sandbox_id) isolate sessions on every backend."""

from __future__ import annotations

from collections.abc import Callable

from sessionforge.storage.base import BaseStore


async def test_namespaces_do_not_see_each_other(make_store: Callable[..., BaseStore]) -> None:
    a, b = make_store(namespace="tenant-a"), make_store(namespace="tenant-b")
    await a.append("shared-id", [{"id": "1", "owner": "a"}])
    assert await b.load("shared-id") == []
    assert await b.list_sessions() == []
    assert await b.append("shared-id", [{"id": "1", "owner": "b"}]) == 1
    assert (await a.load("shared-id"))[0].record["owner"] == "a"
    assert await b.delete("shared-id") is True
    assert await a.list_sessions() == ["shared-id"]


async def test_same_namespace_is_shared(make_store: Callable[..., BaseStore]) -> None:
    a, b = make_store(namespace="team"), make_store(namespace="team")
    await a.append("s", [{"id": "1"}])
    assert await b.append("s", [{"id": "1"}, {"id": "2"}]) == 2
