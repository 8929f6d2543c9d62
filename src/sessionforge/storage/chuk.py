"""The session-manager spec's storage face: ``ChukSessionsStore`` over any :class:`Store`.

The spec's backend is a key-value store of whole sessions; ours is an append-only log per session.
This adapter keeps the spec's four calls (``get``/``save``/``delete``/``list_sessions``) and maps them
onto the log: ``get`` folds it into a :class:`Session`, ``save`` appends only what is new. Every face
stores the same sessions, so what one wrote another lists, loads and continues.
"""

from __future__ import annotations

from ..errors import UsageError
from .base import Store
from .config import resolve_store
from .session import Session

__all__ = ["ChukSessionsStore", "SessionStorage"]


class ChukSessionsStore:
    """Sessions by id in a :class:`Store` (the default store when ``backend`` is ``None``)."""

    def __init__(self, backend: Store | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> Store:
        """The store, resolved on use so a later ``configure_storage`` is honoured."""
        return resolve_store(self._backend)

    async def get(self, session_id: str) -> Session | None:
        """The session folded from its log, or ``None`` if the store has no such session."""
        return await Session.load(session_id, self.backend)

    async def save(self, session: Session) -> None:
        """Append the session's unsaved events and metadata changes."""
        if not isinstance(session, Session):
            raise UsageError(
                f"save() expects a Session, got {type(session).__name__}; "
                "get() returns None for an unknown id"
            )
        await session.save(self.backend)

    async def delete(self, session_id: str) -> bool:
        """Delete the session and its log; ``True`` if it existed."""
        return await self.backend.delete(session_id)

    async def list_sessions(self, prefix: str = "") -> list[str]:
        return await self.backend.list_sessions(prefix)

    def __repr__(self) -> str:
        return f"ChukSessionsStore({self._backend!r})"


SessionStorage = ChukSessionsStore
"""The spec imports the storage face under both names; they are one class."""
