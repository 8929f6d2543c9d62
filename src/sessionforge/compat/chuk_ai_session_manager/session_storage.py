"""``chuk_ai_session_manager.session_storage``: the storage face, over sessionforge's stores.

chuk-ai-session-manager kept each session as one JSON blob in chuk-sessions; sessionforge keeps an
append-only log per session in SQLite, Redis, PostgreSQL or memory (see ``open_store``). The names
and calls are the same: :class:`SessionStorage` is a sandbox (namespace) with a TTL, and
:class:`ChukSessionsStore` gets, saves, deletes and lists sessions over it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sessionforge.storage.base import Store
from sessionforge.storage.chuk import ChukSessionsStore as NativeStore
from sessionforge.storage.config import get_default_store, open_store, set_default_store

from .base_models import DictCompatModel

__all__ = [
    "SESSION_TYPE",
    "ChukSessionsStore",
    "SessionStorage",
    "SessionStorageStats",
    "get_backend",
    "setup_chuk_sessions_storage",
]

SESSION_TYPE = "ai_session_manager"
"""The type tag chuk-ai-session-manager gave its sessions; kept for code that compares against it."""


class SessionStorageStats(DictCompatModel):
    """What :meth:`SessionStorage.get_stats` reports."""

    backend: str = ""
    sandbox_id: str = ""
    cached_ai_sessions: int = 0
    chuk_sessions_stats: dict[str, Any] = Field(default_factory=dict)


class ChukSessionsStore(NativeStore):
    """Sessions by id: ``get``, ``save``, ``delete``, ``list_sessions``.

    ``backend`` is a :class:`SessionStorage` (as in chuk-ai-session-manager), any sessionforge
    ``Store``, or ``None`` for the default store at the time of each call.
    """

    def __init__(self, backend: Store | NativeStore | None = None) -> None:
        super().__init__(backend.backend if isinstance(backend, NativeStore) else backend)


class SessionStorage(ChukSessionsStore):
    """A sandbox of sessions: ``sandbox_id`` is the store's namespace, ``default_ttl_hours`` its TTL.

    Opens the store ``$SESSIONFORGE_STORE`` names (an SQLite file in the user's data directory by
    default) unless ``store`` is given.
    """

    def __init__(
        self,
        sandbox_id: str = "ai-session-manager",
        default_ttl_hours: float | None = 24,
        *,
        store: Store | None = None,
    ) -> None:
        self._owned = store is None
        if store is None:
            ttl = None if default_ttl_hours is None else default_ttl_hours * 3600
            store = open_store(namespace=sandbox_id, ttl_seconds=ttl)
        super().__init__(store)
        self.sandbox_id = sandbox_id

    async def aclose(self) -> None:
        """Close the store if this sandbox opened it (a store passed in is its owner's to close)."""
        if self._owned:
            await self.backend.aclose()

    async def __aenter__(self) -> SessionStorage:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def get_stats(self) -> SessionStorageStats:
        """Which store backs this sandbox. Sessions are read from the store, never cached here."""
        backend = self.backend
        return SessionStorageStats(
            backend=type(backend).__name__,
            sandbox_id=str(getattr(backend, "namespace", self.sandbox_id)),
            cached_ai_sessions=0,
        )


def get_backend() -> SessionStorage:
    """The default store, as a :class:`SessionStorage`."""
    store = get_default_store()
    return SessionStorage(str(getattr(store, "namespace", "default")), store=store)


def setup_chuk_sessions_storage(
    sandbox_id: str = "ai-session-manager", default_ttl_hours: float | None = 24
) -> SessionStorage:
    """Open the sandbox ``sandbox_id`` and make it the default store of every face."""
    storage = SessionStorage(sandbox_id, default_ttl_hours)
    set_default_store(storage.backend)
    return storage
