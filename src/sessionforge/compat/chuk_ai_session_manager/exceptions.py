"""``chuk_ai_session_manager.exceptions``: sessionforge's own session-family exceptions.

They take chuk-ai-session-manager's keyword arguments (``SessionNotFound()``,
``InvalidSessionOperation(operation=, reason=)``, ``TokenLimitExceeded(limit=, actual=)``,
``StorageError(operation=, backend=)``, ...), and being sessionforge's classes, they are what every
face raises, so ``except`` clauses written for that library catch them.
"""

from sessionforge.errors import (
    InvalidSessionOperation,
    SessionAlreadyExists,
    SessionManagerError,
    SessionNotFound,
    StorageError,
    TokenLimitExceeded,
    ToolProcessingError,
)

__all__ = [
    "InvalidSessionOperation",
    "SessionAlreadyExists",
    "SessionManagerError",
    "SessionNotFound",
    "StorageError",
    "TokenLimitExceeded",
    "ToolProcessingError",
]
