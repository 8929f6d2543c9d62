"""forge_llm's exceptions, each also a member of sessionforge's tree.

Every class takes forge_llm's arguments and carries its attributes (``message``, ``code``, and the
per-class ones such as ``provider`` or ``current_tokens``), and derives from the sessionforge class
that means the same thing, so ``except ForgeLLMError`` and ``except SessionforgeError`` both work.
:func:`translating` turns the sessionforge exceptions raised underneath a mirror call into these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

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
    """Root of forge_llm's exceptions: ``message`` and a machine-readable ``code``.

    Each class names its ``code``; its constructor takes forge_llm's arguments, writes forge_llm's
    message and hands it, with the sessionforge parent's keywords, to :meth:`_init`: the one place
    that parent is initialised.
    """

    code: str | None = None
    _native: ClassVar[type[native.SessionforgeError]] = native.SessionforgeError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The sessionforge class this one stands for: its nearest sessionforge base that is not one
        # of these (``MissingAPIKeyError`` for ``ProviderNotConfiguredError``, ``ToolProcessingError``
        # for ``ToolNotFoundError``, through ``ToolError``).
        cls._native = next(
            base
            for klass in cls.__mro__
            for base in klass.__bases__
            if issubclass(base, native.SessionforgeError) and not issubclass(base, ForgeLLMError)
        )

    def __init__(self, message: str, code: str | None = None) -> None:
        self._init(message, code)

    def _init(self, message: str, code: str | None = None, /, **native_keywords: Any) -> None:
        """Initialise as the sessionforge class this one stands for, then set forge_llm's attributes.

        That class's ``__init__`` is called here and nowhere else: with ``message`` alone, or with
        ``message`` and ``native_keywords`` all by name (``SessionNotFound`` takes the session id
        first). ``code`` replaces the class's own when given.
        """
        native_init: Callable[..., None] = self._native.__init__
        if native_keywords:
            native_init(self, message=message, **native_keywords)
        else:
            native_init(self, message)
        self.message = message
        self.code = code or self.code


# ---- providers -----------------------------------------------------------------------------------


class ProviderError(ForgeLLMError, native.ProviderError):
    """A provider failed or cannot be used."""

    code = "PROVIDER_ERROR"
    # What sessionforge's provider errors carry, for the subclasses initialised through another parent.
    provider: str | None = None
    status: int | None = None
    body: object = None
    retry_after: float | None = None


# sessionforge's class always knows the provider; forge_llm's base allows none: one attribute, two types.
class ProviderNotConfiguredError(ProviderError, native.MissingAPIKeyError):  # type: ignore[misc]
    """The provider has no API key (neither passed nor in its environment variable)."""

    code = "PROVIDER_NOT_CONFIGURED"

    def __init__(self, provider: str, detail: str | None = None) -> None:
        message = (
            f"Provider '{provider}' is not configured: {detail}"
            if detail
            else f"Provider '{provider}' is not configured. Check API key."
        )
        self._init(message, provider=provider)


class UnsupportedProviderError(ProviderError, native.UnknownProviderError):  # type: ignore[misc]
    """No adapter serves this provider name."""

    code = "UNSUPPORTED_PROVIDER"

    def __init__(self, provider: str) -> None:
        self._init(f"Provider '{provider}' is not supported.", provider=provider)


class AuthenticationError(ProviderError, native.AuthenticationError):
    """The provider refused the credentials."""

    code = "AUTHENTICATION_ERROR"

    def __init__(self, provider: str, details: str | None = None) -> None:
        detail = f": {details}" if details else ""
        self._init(f"Authentication failed for provider '{provider}'{detail}", provider=provider)


class UnsupportedFeatureError(ProviderError, native.UnsupportedFeatureError):
    """The provider cannot take this feature (audio input for Anthropic)."""

    code = "UNSUPPORTED_FEATURE"

    def __init__(self, feature: str, provider: str) -> None:
        self._init(f"{feature} is not supported by {provider}", feature=feature, provider=provider)


# ---- chat ----------------------------------------------------------------------------------------


class ChatError(ForgeLLMError):
    """A chat call could not be made or completed."""


class InvalidMessageError(ChatError, native.MessageFormatError):
    """A message is empty or malformed."""

    code = "INVALID_MESSAGE"

    def __init__(self, reason: str) -> None:
        self._init(f"Invalid message: {reason}")


class RequestTimeoutError(ChatError, native.ProviderTimeoutError):
    """The provider did not answer within ``timeout`` seconds."""

    code = "REQUEST_TIMEOUT"

    def __init__(self, provider: str, timeout: float) -> None:
        self._init(f"Request to '{provider}' timed out after {timeout}s", provider=provider)
        self.timeout = timeout


# ---- sessions ------------------------------------------------------------------------------------


class SessionError(ForgeLLMError, native.SessionManagerError):
    """A session operation failed."""


class SessionNotFoundError(SessionError, native.SessionNotFound):
    """No session with this id is stored."""

    code = "SESSION_NOT_FOUND"

    def __init__(self, session_id: str) -> None:
        self._init(f"Session '{session_id}' not found.", session_id=session_id)


class ContextOverflowError(SessionError, native.ContextOverflowError):
    """The context would pass the session's limit: ``current_tokens`` over ``max_tokens``."""

    code = "CONTEXT_OVERFLOW"

    def __init__(self, current_tokens: int, max_tokens: int) -> None:
        message = f"Context overflow: {current_tokens} tokens exceeds limit of {max_tokens}"
        self._init(message, limit=max_tokens, needed=current_tokens)
        self.current_tokens = current_tokens
        self.max_tokens = max_tokens


# ---- tools ---------------------------------------------------------------------------------------


class ToolError(ForgeLLMError, native.ToolProcessingError):
    """A tool could not be found, validated or run."""

    code = "TOOL_ERROR"


class ToolNotFoundError(ToolError):
    """No tool of this name is registered."""

    code = "TOOL_NOT_FOUND"

    def __init__(self, tool_name: str) -> None:
        self._init(f"Tool '{tool_name}' not found in registry.")
        self.tool_name = tool_name


class ToolValidationError(ToolError):
    """The arguments sent for a tool do not match its signature."""

    code = "TOOL_VALIDATION_ERROR"

    def __init__(self, tool_name: str, errors: list[str]) -> None:
        self._init(f"Validation failed for tool '{tool_name}': {', '.join(errors)}")
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
