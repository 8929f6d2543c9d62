"""``sessions list`` reads only the sessions it shows: chosen by their store heads, each read once,
and the rows it shows are those a digest of every session would show."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sessionforge.cli import app
from sessionforge.cli._digest import broken_row, digest, row_of
from sessionforge.cli._overview import overview
from sessionforge.core.events import EventSource, EventType, SessionEvent
from sessionforge.errors import SessionNotFound, StorageError, UsageError
from sessionforge.storage.base import BaseStore
from sessionforge.storage.config import open_store
from sessionforge.storage.forks import fork
from sessionforge.storage.session import Session


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseStore]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'list.db'}"
    opened: Any = open_store(url, namespace="default")
    yield opened
    await opened.aclose()


async def _said(store: BaseStore, session_id: str, *texts: str) -> None:
    session = await Session.create(session_id=session_id, store=store)
    for text in texts:
        await session.add_event(SessionEvent(message=text, source=EventSource.USER, type=EventType.MESSAGE))
    await session.save()
    await asyncio.sleep(0.005)  # distinct times of last activity


async def _every_row(store: BaseStore) -> list[dict[str, Any]]:
    """The listing as it was before heads: a digest of every session, newest first, unreadable last."""
    rows = []
    for session_id in await store.list_sessions():
        try:
            rows.append(row_of(await digest(session_id, store)))
        except SessionNotFound:
            continue
        except (StorageError, UsageError) as exc:
            rows.append(broken_row(session_id, exc))
    rows.sort(key=lambda r: (r["error"] is None, r["updated_at"] or ""), reverse=True)
    return rows


async def test_the_shown_rows_are_those_of_a_full_digest(store: BaseStore) -> None:
    for number in range(6):
        await _said(store, f"s{number}", *(f"message {n}" for n in range(number + 1)))
    await _said(store, "parent", "hello", "again")
    await fork("parent", store=store, new_session_id="branch")
    everything = await _every_row(store)
    assert (await overview(store)) == (everything, 8)
    for count in (1, 3, 8, 20):
        rows, total = await overview(store, count=count)
        assert total == 8
        assert rows == everything[:count]
    parent = next(r for r in everything if r["id"] == "parent")
    assert parent["branches"] == ["branch"]
    assert next(r for r in everything if r["id"] == "branch")["kind"] == "fork"
    assert await overview(store, "s", count=2) == (
        [r for r in everything if r["id"].startswith("s")][:2],
        6,
    )


async def test_an_unreadable_session_among_the_newest_is_shown_with_its_reason(store: BaseStore) -> None:
    await _said(store, "old", "hi")
    await _said(store, "gone", "hi")
    await fork("gone", store=store, new_session_id="orphan")
    await store.delete("gone")
    await asyncio.sleep(0.005)
    await _said(store, "newest", "hi")
    rows, total = await overview(store, count=2)
    assert total == 3
    assert [r["id"] for r in rows] == ["newest", "orphan"]
    assert rows[1]["kind"] == "unreadable" and "gone" in rows[1]["error"]
    assert [r["id"] for r in (await overview(store))[0]] == ["newest", "old", "orphan"]


async def test_a_digest_reads_the_session_once(store: BaseStore) -> None:
    await _said(store, "parent", "hello")
    await fork("parent", store=store, new_session_id="branch")
    reads: list[tuple[str, int | None]] = []
    load = store.load

    async def counted(session_id: str, after_seq: int = 0, limit: int | None = None) -> Any:
        reads.append((session_id, limit))
        return await load(session_id, after_seq, limit)

    store.load = counted  # type: ignore[method-assign]
    assert (await digest("parent", store))["branches"] == ["branch"]
    assert reads == [("parent", None)]
    reads.clear()
    assert (await digest("branch", store))["fork_of"] == {"session_id": "parent", "seq": 3}
    assert reads == [("branch", None), ("parent", 3)]  # its own log, then the shared prefix


def test_the_title_counts_every_session(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'titled.db'}"

    async def seed() -> None:
        store: Any = open_store(url, namespace="default")
        for number in range(4):
            await _said(store, f"s{number}", "hi")
        await store.aclose()

    asyncio.run(seed())
    listed = runner.invoke(app, ["sessions", "list", "-n", "2", "--store", url])
    assert listed.exit_code == 0, listed.output
    assert "4 sessions in namespace default (newest 2 of 4" in listed.output
    rows = json.loads(runner.invoke(app, ["sessions", "list", "-n", "2", "--json", "--store", url]).output)
    assert [r["id"] for r in rows] == ["s3", "s2"]
    every = json.loads(runner.invoke(app, ["sessions", "list", "-n", "0", "--json", "--store", url]).output)
    assert [r["id"] for r in every] == ["s3", "s2", "s1", "s0"]


@pytest.mark.parametrize("url", ["memory://", "sqlite:///:memory:"])
def test_a_store_in_memory_lists_as_empty(runner: CliRunner, url: str) -> None:
    """A new process's in-memory store holds nothing: listed as empty, in one namespace or all."""
    for extra in ([], ["--all-namespaces"]):
        result = runner.invoke(app, ["sessions", "list", *extra, "--store", url])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("0 sessions in ")
    listed = runner.invoke(app, ["sessions", "list", "--json", "--store", url])
    assert json.loads(listed.output) == []
