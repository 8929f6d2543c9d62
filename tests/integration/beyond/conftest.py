"""A ``store`` fixture over every backend these tests run on.

Adding a backend is one entry in ``BACKENDS`` (Redis and PostgreSQL join once their stores land).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from sessionforge.storage.base import Store
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.sqlite import SQLiteStore

BACKENDS: dict[str, Callable[[Path], Store]] = {
    "memory": lambda tmp: MemoryStore(),
    "sqlite": lambda tmp: SQLiteStore(str(tmp / "store.db")),
}


@pytest.fixture(params=sorted(BACKENDS))
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """A factory, for sync tests that drive their own event loops (``ChatSession``)."""
    return lambda: BACKENDS[request.param](tmp_path)


@pytest.fixture
async def store(make_store: Callable[[], Store]) -> AsyncIterator[Store]:
    backend = make_store()
    try:
        yield backend
    finally:
        await backend.aclose()
