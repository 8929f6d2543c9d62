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
    │   │   ├── MissingAPIKeyError      a provider has no API key (argument or environment)
    │   │   └── UnknownProviderError    a provider name no adapter serves
    │   ├── UnsupportedFeatureError     content a provider cannot take (audio to Anthropic)
    │   └── MissingDependencyError      an optional extra is not installed (says which)
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

The session family also takes the keyword arguments chuk-ai-session-manager gives its exceptions
(``SessionNotFound()`` without an id, ``InvalidSessionOperation(operation=, reason=)``,
``TokenLimitExceeded(limit=, actual=)``, ``StorageError(operation=, backend=)``,
``SessionAlreadyExists(session_id=)``, ``ToolProcessingError(tool_name=, reason=)``), so code written
against that library raises and catches these very classes. Without a ``message`` the text is built
from those arguments, word for word as that library builds it.
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
    "MissingAPIKeyError",
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
    "TokenLimitExceeded",
    "ToolPairingError",
    "ToolProcessingError",
    "UnknownModelError",
    "UnknownProviderError",
    "UnsupportedFeatureError",
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


class MissingAPIKeyError(ConfigurationError):
    """A provider needs an API key and none was passed or found in ``env_var``."""

    def __init__(self, message: str, *, provider: str, env_var: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.env_var = env_var


class UnknownProviderError(ConfigurationError):
    """No adapter serves this provider name; the message lists the names that work."""

    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message)
        self.provider = provider


class UnsupportedFeatureError(UsageError):
    """A request holds something the provider cannot take (``feature``), e.g. audio for Anthropic.

    Raised while the request is built, before anything is sent.
    """

    def __init__(
        self, message: str | None = None, *, feature: str | None = None, provider: str | None = None
    ) -> None:
        super().__init__(
            message or f"{feature or 'this feature'} is not supported by {provider or 'this provider'}"
        )
        self.feature = feature
        self.provider = provider


class MissingDependencyError(UsageError, ImportError):
    """An optional dependency is needed; the message carries the ``pip install`` line."""


# --- the session family ---------------------------------------------------------------------------


class SessionManagerError(SessionforgeError):
    """Root of the session family: lookup, storage, limits and tool processing."""


def _compose(message: str | None, *candidates: tuple[object, str]) -> str:
    """``message`` if given, else the text of the first candidate whose condition holds."""
    if message is not None:
        return message
    return next(text for condition, text in candidates if condition)


class SessionNotFound(SessionManagerError, KeyError):
    """No session with this id exists in the store (or it has expired). ``session_id`` may be ``None``."""

    def __init__(self, session_id: str | None = None, message: str | None = None) -> None:
        super().__init__(
            _compose(
                message,
                (session_id, f"session {session_id!r} was not found (it may have expired)"),
                (True, "Session not found"),
            )
        )
        self.session_id = session_id

    def __str__(self) -> str:
        return str(self.args[0])


class SessionAlreadyExists(SessionManagerError):
    """A session was created with an id that is already taken."""

    def __init__(self, message: str | None = None, *, session_id: str | None = None) -> None:
        super().__init__(
            _compose(
                message,
                (session_id, f"Session already exists: {session_id}"),
                (True, "Session already exists"),
            )
        )
        self.session_id = session_id


class InvalidSessionOperation(SessionManagerError):
    """The operation does not apply to the session in its current state.

    Takes chuk-ai-session-manager's arguments, positional order included: ``operation``, ``reason``,
    ``session_id``, ``message``.
    """

    def __init__(
        self,
        operation: str | None = None,
        reason: str | None = None,
        session_id: str | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__(
            _compose(
                message,
                (operation and reason, f"Invalid operation {operation!r}: {reason}"),
                (operation, f"Invalid operation: {operation}"),
                (True, "Invalid session operation"),
            )
        )
        self.operation = operation
        self.reason = reason
        self.session_id = session_id


class TokenLimitExceeded(SessionManagerError):
    """A token limit would be passed: ``limit``, and ``actual`` (also ``needed``) the tokens wanted.

    Called either as sessionforge calls it, ``TokenLimitExceeded(message, limit=, needed=)``, or as
    chuk-ai-session-manager does, ``TokenLimitExceeded(limit, actual, message)``: a text first
    argument is the message.
    """

    def __init__(
        self,
        *args: int | str | None,
        limit: int | None = None,
        actual: int | None = None,
        message: str | None = None,
        needed: int | None = None,
    ) -> None:
        if args and isinstance(args[0], str):
            if len(args) > 1:
                raise TypeError(
                    "TokenLimitExceeded(message, *, limit=, needed=) takes one positional argument"
                )
            message = args[0]
        elif args:
            if len(args) > 3:
                raise TypeError("TokenLimitExceeded(limit, actual, message) takes at most three arguments")
            positional = [*args, None, None, None]
            limit = _as_int(positional[0], "limit") if positional[0] is not None else limit
            actual = _as_int(positional[1], "actual") if positional[1] is not None else actual
            if positional[2] is not None:
                message = str(positional[2])
        if actual is None:
            actual = needed
        super().__init__(
            _compose(
                message,
                (limit is not None and actual is not None, f"Token limit exceeded: {actual} > {limit}"),
                (True, "Token limit exceeded"),
            )
        )
        self.limit = limit
        self.actual = actual
        self.needed = actual


def _as_int(value: int | str, name: str) -> int:
    if isinstance(value, str):
        raise TypeError(f"TokenLimitExceeded: {name} must be a number of tokens, got {value!r}")
    return value


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
    """A store failed. The driver's own exception is chained as ``__cause__``.

    ``operation`` and ``backend`` (chuk-ai-session-manager's keywords) say what failed where; without
    a message they make it.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        session_id: str | None = None,
        operation: str | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(
            _compose(
                message,
                (operation and backend, f"Storage error in {backend!r} during {operation}"),
                (operation, f"Storage error during {operation}"),
                (True, "Storage operation failed"),
            )
        )
        self.session_id = session_id
        self.operation = operation
        self.backend = backend


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
    """A tool call could not be processed (unknown tool, bad arguments, failure).

    ``tool_name`` and ``reason`` (chuk-ai-session-manager's keywords) make the message when none is given.
    """

    def __init__(
        self, message: str | None = None, *, tool_name: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(
            _compose(
                message,
                (tool_name and reason, f"Tool {tool_name!r} processing error: {reason}"),
                (tool_name, f"Tool {tool_name!r} processing error"),
                (True, "Tool processing error"),
            )
        )
        self.tool_name = tool_name
        self.reason = reason


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
