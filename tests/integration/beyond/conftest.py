"""A ``store`` fixture over every backend these tests run on.

Memory and SQLite, plus real Redis and PostgreSQL servers (started once per run by the integration
conftest; each test gets a flushed Redis database or a new PostgreSQL database).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from servers.backends import SERVED_BACKENDS as BACKENDS
from servers.backends import backend_url
from sessionforge.storage.base import Store
from sessionforge.storage.config import open_store


@pytest.fixture(params=BACKENDS)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """A factory, for sync tests that drive their own event loops (``ChatSession``).

    Every store it opens sees the same data (one memory dict, one file, one database).
    """
    url = backend_url(request.param, request, tmp_path)
    if url == "memory://":
        from sessionforge.storage.memory import MemoryStore

        shared: dict[str, Any] = {}
        return lambda: MemoryStore(data=shared)
    return lambda: open_store(url)


@pytest.fixture
async def store(make_store: Callable[[], Store]) -> AsyncIterator[Store]:
    backend = make_store()
    try:
        yield backend
    finally:
        await backend.aclose()
