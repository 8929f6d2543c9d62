"""An SQLite load of a few rows runs on the event loop; a longer one goes to the store's thread. Either
way every record comes back, in order, also across the boundary between the two."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sessionforge.storage.sqlite import INLINE_MAX_ROWS, SQLiteStore


def _records(count: int) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "n": i} for i in range(count)]


@pytest.mark.parametrize("count", [1, INLINE_MAX_ROWS - 1, INLINE_MAX_ROWS, INLINE_MAX_ROWS + 1, 300])
async def test_loads_on_either_side_of_the_inline_limit_return_every_record(
    count: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteStore(tmp_path / "inline.db")
    try:
        await store.append("s", _records(count))
        await store.load("s")  # connected: the loop's own connection exists from now on
        threaded: list[str] = []
        original = SQLiteStore._run

        async def run(self: SQLiteStore, fn: Any, session_id: str | None = None) -> Any:
            threaded.append(str(session_id))
            return await original(self, fn, session_id)

        monkeypatch.setattr(SQLiteStore, "_run", run)
        loaded = await store.load("s")
        assert [r.seq for r in loaded] == list(range(1, count + 1))
        assert [r.record for r in loaded] == _records(count)
        assert threaded == ([] if count < INLINE_MAX_ROWS else ["s"])
        window = await store.load("s", after_seq=count - 1, limit=5)  # a catch-up read: on the loop
        assert [r.seq for r in window] == [count]
        assert threaded == ([] if count < INLINE_MAX_ROWS else ["s"])
    finally:
        await store.aclose()


async def test_a_load_the_loop_cannot_take_goes_to_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteStore(tmp_path / "busy.db")
    try:
        await store.append("s", _records(3))
        await store.load("s")
        monkeypatch.setattr(SQLiteStore, "_run_inline", lambda self, fn, session_id: None)  # as when locked
        assert [r.record for r in await store.load("s")] == _records(3)
    finally:
        await store.aclose()
