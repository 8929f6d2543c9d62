"""Every exception sessionforge raises, in one tree.

Catch the narrowest class that lets you act; catch :class:`SessionforgeError` to catch everything
of ours. Misuse of the API (a wrong argument, a malformed message) is kept apart from failures at
run time (a provider or a store that is down), as the two call for different handling: the first is
a bug to fix, the second may be retried.

::

    SessionforgeError
    ├── UsageError                      misuse: fix the calling code
    │   ├── MessageFormatError          a message dict or part is malformed (names the field)
    │   │   └── ToolPairingError        tool calls and results do not pair up (orphans, duplicates)
    │   ├── RecordFormatError           a record would not read back equal, so it is not stored
    │   ├── UnknownModelError           a model no registry or adapter knows
    │   ├── ConfigurationError          a bad store URL, a missing key, a wrong option
    │   ├── MissingDependencyError      an optional extra is not installed (says which)
    │   └── SyncInAsyncError            a sync call made inside a running event loop
    ├── SessionManagerError             the session family (names from the session-manager spec)
    │   ├── SessionNotFound
    │   ├── SessionAlreadyExists
    │   ├── InvalidSessionOperation
    │   ├── TokenLimitExceeded
    │   │   └── ContextOverflowError    a ChatSession would pass its effective token limit
    │   ├── BudgetExceededError         a call would pass a session's token or USD budget
    │   ├── StorageError                a store failed; ``from`` the driver's exception
    │   │   ├── StoreUnavailableError   the server is down or unreachable (retry later)
    │   │   ├── CorruptRecordError      a stored record cannot be decoded (names the session)
    │   │   └── ConcurrencyConflictError
    │   └── ToolProcessingError         a tool call could not be processed
    └── ProviderError                   a model provider failed (status, body, retry_after)
        ├── AuthenticationError         401/403: check the API key
        ├── RateLimitError              429 after the SDK's retries
        ├── ProviderTimeoutError        no answer in time
        ├── ProviderConnectionError     could not reach the server
        ├── ServerError                 5xx after the SDK's retries
        ├── ModelNotFoundError          404 for the model
        └── BadRequestError             400/422: the request was refused
            └── ContextLengthExceededError

Every message says what to do next. Third-party exceptions are translated at the boundary and
chained (``raise ... from exc``), so the original is never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ConcurrencyConflictError",
    "ConfigurationError",
    "ContextLengthExceededError",
    "ContextOverflowError",
    "CorruptRecordError",
    "InvalidSessionOperation",
    "MessageFormatError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeoutError",
    "RateLimitError",
    "RecordFormatError",
    "ServerError",
    "SessionAlreadyExists",
    "SessionManagerError",
    "SessionNotFound",
    "SessionforgeError",
    "StorageError",
    "StoreUnavailableError",
    "SyncInAsyncError",
    "TokenLimitExceeded",
    "ToolPairingError",
    "ToolProcessingError",
    "UnknownModelError",
    "UsageError",
]


class SessionforgeError(Exception):
    """Root of every exception raised by sessionforge."""


# --- misuse ---------------------------------------------------------------------------------------


class UsageError(SessionforgeError):
    """The library was called the wrong way; the message says how to call it."""


class MessageFormatError(UsageError, ValueError):
    """A message (or a dict meant to become one) is malformed.

    ``field`` names the offending field as a dotted path (``tool_calls.0.id``) so that the caller can
    find it in a large payload.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ToolPairingError(MessageFormatError):
    """Tool calls and tool results of a conversation do not pair up.

    Providers refuse such a history (a result must answer a call made before it, every call is
    answered before the next user turn, and a call id is used once), so it is refused where the
    messages enter, not at the next model call. ``issues`` lists every problem found, each with the
    position of the message and the tool-call id (:class:`sessionforge.core.pairing.PairingIssue`).
    """

    def __init__(self, message: str, *, issues: Sequence[Any] = ()) -> None:
        super().__init__(message, field="tool_calls")
        self.issues = list(issues)


class RecordFormatError(UsageError, ValueError):
    """A record was refused before anything was written, as it would not read back equal.

    Stores keep JSON: text that cannot be encoded as UTF-8 (a lone surrogate), a value that is not
    JSON (a set, a datetime, a tuple, a non-string key, NaN), nesting deeper than the codec allows, or
    a record above the size limit. ``field`` is the dotted path of the offending value inside the
    record (``chat.metadata.tags.0``), ``index`` the record's position in the append, ``session_id``
    the session. The session is unchanged and stays writable.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        index: int | None = None,
        session_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.index = index
        self.session_id = session_id


class UnknownModelError(UsageError, KeyError):
    """A model name that neither the price registry nor any adapter recognises."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class ConfigurationError(UsageError):
    """A configuration value (store URL, API key, option) is missing or invalid."""


class MissingDependencyError(UsageError, ImportError):
    """An optional dependency is needed; the message carries the ``pip install`` line."""


class SyncInAsyncError(UsageError, RuntimeError):
    """A blocking call was made from inside a running event loop; use the async twin it names."""


# --- the session family ---------------------------------------------------------------------------


class SessionManagerError(SessionforgeError):
    """Root of the session family: lookup, storage, limits and tool processing."""


class SessionNotFound(SessionManagerError, KeyError):
    """No session with this id exists in the store (or it has expired)."""

    def __init__(self, session_id: str, message: str | None = None) -> None:
        super().__init__(message or f"session {session_id!r} was not found (it may have expired)")
        self.session_id = session_id

    def __str__(self) -> str:
        return str(self.args[0])


class SessionAlreadyExists(SessionManagerError):
    """A session was created with an id that is already taken."""


class InvalidSessionOperation(SessionManagerError):
    """The operation does not apply to the session in its current state."""


class TokenLimitExceeded(SessionManagerError):
    """A token limit would be passed. ``limit`` and ``needed`` say by how much."""

    def __init__(self, message: str, *, limit: int | None = None, needed: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.needed = needed


class ContextOverflowError(TokenLimitExceeded):
    """A ChatSession would pass its effective token limit and no compactor could make room."""


class BudgetExceededError(SessionManagerError):
    """A model call would pass the session's token or USD budget; nothing was sent."""

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        spent: float,
        limit: float,
        estimated: float,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.spent = spent
        self.limit = limit
        self.estimated = estimated


class StorageError(SessionManagerError):
    """A store failed. The driver's own exception is chained as ``__cause__``."""

    def __init__(self, message: str, *, session_id: str | None = None) -> None:
        super().__init__(message)
        self.session_id = session_id


class StoreUnavailableError(StorageError):
    """The storage server cannot be reached; nothing was written. Retry once it is back."""


class CorruptRecordError(StorageError):
    """A stored record cannot be decoded or trusted: it is corrupt, foreign, from a newer version,
    or (in an encrypted store) not sealed with the store's key. ``seq`` names the record."""

    def __init__(self, message: str, *, session_id: str | None = None, seq: int | None = None) -> None:
        super().__init__(message, session_id=session_id)
        self.seq = seq


class ConcurrencyConflictError(StorageError):
    """Two writers raced on the same session and the write could not be applied safely."""


class ToolProcessingError(SessionManagerError):
    """A tool call could not be processed (unknown tool, bad arguments, failure)."""


# --- providers ------------------------------------------------------------------------------------


class ProviderError(SessionforgeError):
    """A model provider failed. Carries what the provider said.

    Attributes:
        provider: ``"openai"``, ``"anthropic"``, ``"local"``...
        status: the HTTP status, when there was one.
        body: the provider's error body (parsed JSON or text), when there was one.
        retry_after: seconds the provider asked us to wait, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status: int | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.body = body
        self.retry_after = retry_after


class AuthenticationError(ProviderError):
    """The provider refused the credentials: check the API key and its permissions."""


class RateLimitError(ProviderError):
    """The provider is rate limiting us and the retries ran out: wait ``retry_after`` seconds."""


class ProviderTimeoutError(ProviderError):
    """The provider did not answer in time: retry, or raise the timeout."""


class ProviderConnectionError(ProviderError):
    """The provider could not be reached: check the base URL and the network."""


class ServerError(ProviderError):
    """The provider failed on its side (5xx) and the retries ran out."""


class ModelNotFoundError(ProviderError):
    """The provider does not know this model (or the key may not use it)."""


class BadRequestError(ProviderError):
    """The provider refused the request as malformed."""


class ContextLengthExceededError(BadRequestError):
    """The request is longer than the model's context window: compact the session first."""
