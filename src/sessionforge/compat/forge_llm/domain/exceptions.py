"""forge_llm's exceptions, each also a member of sessionforge's tree.

Every class takes forge_llm's arguments and carries its attributes (``message``, ``code``, and the
per-class ones such as ``provider`` or ``current_tokens``), and derives from the sessionforge class
that means the same thing, so ``except ForgeLLMError`` and ``except SessionforgeError`` both work.
:func:`translating` turns the sessionforge exceptions raised underneath a mirror call into these.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sessionforge import errors as native

__all__ = [
    "AuthenticationError",
    "ChatError",
    "ContextOverflowError",
    "ForgeLLMError",
    "InvalidMessageError",
    "ProviderError",
    "ProviderNotConfiguredError",
    "RequestTimeoutError",
    "SessionError",
    "SessionNotFoundError",
    "ToolError",
    "ToolNotFoundError",
    "ToolValidationError",
    "UnsupportedFeatureError",
    "UnsupportedProviderError",
]


class ForgeLLMError(native.SessionforgeError):
    """Root of forge_llm's exceptions: ``message`` and a machine-readable ``code``."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _base(error: ForgeLLMError, message: str, code: str) -> None:
    # The sessionforge parent's own __init__ is called explicitly by each class, with its keywords;
    # this sets what forge_llm's root adds.
    error.message = message
    error.code = code


# ---- providers -----------------------------------------------------------------------------------


class ProviderError(ForgeLLMError, native.ProviderError):
    """A provider failed or cannot be used."""

    # What sessionforge's provider errors carry, for the subclasses initialised through another parent.
    provider: str | None = None
    status: int | None = None
    body: object = None
    retry_after: float | None = None

    def __init__(self, message: str, code: str | None = None) -> None:
        native.ProviderError.__init__(self, message)
        _base(self, message, code or "PROVIDER_ERROR")


# sessionforge's class always knows the provider; forge_llm's base allows none: one attribute, two types.
class ProviderNotConfiguredError(ProviderError, native.MissingAPIKeyError):  # type: ignore[misc]
    """The provider has no API key (neither passed nor in its environment variable)."""

    def __init__(self, provider: str, detail: str | None = None) -> None:
        message = (
            f"Provider '{provider}' is not configured: {detail}"
            if detail
            else f"Provider '{provider}' is not configured. Check API key."
        )
        native.MissingAPIKeyError.__init__(self, message, provider=provider)
        _base(self, message, "PROVIDER_NOT_CONFIGURED")


class UnsupportedProviderError(ProviderError, native.UnknownProviderError):  # type: ignore[misc]
    """No adapter serves this provider name."""

    def __init__(self, provider: str) -> None:
        message = f"Provider '{provider}' is not supported."
        native.UnknownProviderError.__init__(self, message, provider=provider)
        _base(self, message, "UNSUPPORTED_PROVIDER")


class AuthenticationError(ProviderError, native.AuthenticationError):
    """The provider refused the credentials."""

    def __init__(self, provider: str, details: str | None = None) -> None:
        message = f"Authentication failed for provider '{provider}'" + (f": {details}" if details else "")
        native.AuthenticationError.__init__(self, message, provider=provider)
        _base(self, message, "AUTHENTICATION_ERROR")


class UnsupportedFeatureError(ProviderError, native.UnsupportedFeatureError):
    """The provider cannot take this feature (audio input for Anthropic)."""

    def __init__(self, feature: str, provider: str) -> None:
        message = f"{feature} is not supported by {provider}"
        native.UnsupportedFeatureError.__init__(self, message, feature=feature, provider=provider)
        _base(self, message, "UNSUPPORTED_FEATURE")


# ---- chat ----------------------------------------------------------------------------------------


class ChatError(ForgeLLMError):
    """A chat call could not be made or completed."""


class InvalidMessageError(ChatError, native.MessageFormatError):
    """A message is empty or malformed."""

    def __init__(self, reason: str) -> None:
        message = f"Invalid message: {reason}"
        native.MessageFormatError.__init__(self, message)
        _base(self, message, "INVALID_MESSAGE")


class RequestTimeoutError(ChatError, native.ProviderTimeoutError):
    """The provider did not answer within ``timeout`` seconds."""

    def __init__(self, provider: str, timeout: float) -> None:
        message = f"Request to '{provider}' timed out after {timeout}s"
        native.ProviderTimeoutError.__init__(self, message, provider=provider)
        _base(self, message, "REQUEST_TIMEOUT")
        self.timeout = timeout


# ---- sessions ------------------------------------------------------------------------------------


class SessionError(ForgeLLMError, native.SessionManagerError):
    """A session operation failed."""


class SessionNotFoundError(SessionError, native.SessionNotFound):
    """No session with this id is stored."""

    def __init__(self, session_id: str) -> None:
        message = f"Session '{session_id}' not found."
        native.SessionNotFound.__init__(self, session_id, message)
        _base(self, message, "SESSION_NOT_FOUND")


class ContextOverflowError(SessionError, native.ContextOverflowError):
    """The context would pass the session's limit: ``current_tokens`` over ``max_tokens``."""

    def __init__(self, current_tokens: int, max_tokens: int) -> None:
        message = f"Context overflow: {current_tokens} tokens exceeds limit of {max_tokens}"
        native.ContextOverflowError.__init__(self, message, limit=max_tokens, needed=current_tokens)
        _base(self, message, "CONTEXT_OVERFLOW")
        self.current_tokens = current_tokens
        self.max_tokens = max_tokens


# ---- tools ---------------------------------------------------------------------------------------


class ToolError(ForgeLLMError, native.ToolProcessingError):
    """A tool could not be found, validated or run."""

    def __init__(self, message: str, code: str | None = None) -> None:
        native.ToolProcessingError.__init__(self, message)
        _base(self, message, code or "TOOL_ERROR")


class ToolNotFoundError(ToolError):
    """No tool of this name is registered."""

    def __init__(self, tool_name: str) -> None:
        super().__init__(f"Tool '{tool_name}' not found in registry.", "TOOL_NOT_FOUND")
        self.tool_name = tool_name


class ToolValidationError(ToolError):
    """The arguments sent for a tool do not match its signature."""

    def __init__(self, tool_name: str, errors: list[str]) -> None:
        super().__init__(
            f"Validation failed for tool '{tool_name}': {', '.join(errors)}", "TOOL_VALIDATION_ERROR"
        )
        self.tool_name = tool_name
        self.errors = errors


# ---- translation ---------------------------------------------------------------------------------


def translate(exc: native.SessionforgeError) -> ForgeLLMError | None:
    """The forge_llm exception a sessionforge exception stands for, or ``None`` if there is none."""
    if isinstance(exc, ForgeLLMError):
        return None
    if isinstance(exc, native.ContextOverflowError):
        return ContextOverflowError(exc.actual or 0, exc.limit or 0)
    if isinstance(exc, native.MissingAPIKeyError):
        return ProviderNotConfiguredError(exc.provider, str(exc))
    if isinstance(exc, native.UnknownProviderError):
        return UnsupportedProviderError(exc.provider)
    if isinstance(exc, native.UnsupportedFeatureError):
        return UnsupportedFeatureError(exc.feature or "this feature", exc.provider or "this provider")
    if isinstance(exc, native.MessageFormatError):
        invalid = InvalidMessageError(str(exc))
        invalid.field = exc.field
        return invalid
    if isinstance(exc, native.SessionNotFound):
        return SessionNotFoundError(exc.session_id or "")
    if isinstance(exc, native.AuthenticationError):
        return AuthenticationError(exc.provider or "unknown", str(exc))
    if isinstance(exc, native.ProviderTimeoutError):
        return RequestTimeoutError(exc.provider or "unknown", 0.0)
    if isinstance(exc, native.ProviderError):
        error = ProviderError(str(exc))
        error.provider, error.status, error.body = exc.provider, exc.status, exc.body
        error.retry_after = exc.retry_after
        return error
    return None


@contextmanager
def translating(*, timeout: float | None = None) -> Iterator[None]:
    """Raise forge_llm's exception in place of the sessionforge one it stands for (chained ``from``)."""
    try:
        yield
    except native.SessionforgeError as exc:
        mirror = translate(exc)
        if mirror is None:
            raise
        if isinstance(mirror, RequestTimeoutError) and timeout is not None:
            mirror = RequestTimeoutError(mirror.provider or "unknown", timeout)
        raise mirror from exc
