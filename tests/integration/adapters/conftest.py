"""Stores on every backend and the OpenAI wire server, for the framework adapters' tests.

Each test gets a fresh store (a new SQLite file, a flushed Redis database, a new PostgreSQL
database); the frameworks are the real libraries, pointed at the local wire server where they call
a model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from servers.backends import SERVED_BACKENDS, backend_url
from servers.fixtures import openai_server, wire_servers
from sessionforge.storage.base import Store
from sessionforge.storage.config import open_store

__all__ = ["openai_server", "wire_servers"]

SHARED = [p for p in SERVED_BACKENDS if p.values[0] != "memory"]


@pytest.fixture(params=SERVED_BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request.param, request, tmp_path)


@pytest.fixture(params=SHARED)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A backend another process can reach."""
    return backend_url(request.param, request, tmp_path)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    backend = open_store(store_url)
    try:
        yield backend
    finally:
        await backend.aclose()
