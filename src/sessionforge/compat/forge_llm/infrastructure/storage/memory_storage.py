"""forge_llm's in-process session storage: ``ChatSession`` objects by id, lost when the process ends.

For sessions that outlive the process, use sessionforge's stores: ``session.native.save(store)``
and ``ChatSession.of(NativeChatSession.load(session_id, store))``.
"""

from __future__ import annotations

from typing import Protocol

from ...application.session import ChatSession
from ...domain.exceptions import SessionNotFoundError

__all__ = ["ISessionStoragePort", "MemorySessionStorage"]


class ISessionStoragePort(Protocol):
    """Where sessions are kept by id."""

    def save(self, session: ChatSession) -> None: ...

    def load(self, session_id: str) -> ChatSession: ...

    def delete(self, session_id: str) -> None: ...

    def exists(self, session_id: str) -> bool: ...

    def list_sessions(self) -> list[str]: ...


class MemorySessionStorage:
    """Sessions held in a dict; :meth:`load` returns the very object saved."""

    def __init__(self) -> None:
        self._sessions: dict[str, ChatSession] = {}

    def save(self, session: ChatSession) -> None:
        self._sessions[session.session_id] = session

    def load(self, session_id: str) -> ChatSession:
        """Raises ``SessionNotFoundError`` for an id never saved (or deleted)."""
        if session_id not in self._sessions:
            raise SessionNotFoundError(session_id)
        return self._sessions[session_id]

    def delete(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def exists(self, session_id: str) -> bool:
        return session_id in self._sessions

    def list_sessions(self) -> list[str]:
        return list(self._sessions)

    def clear(self) -> None:
        self._sessions.clear()
