"""The session family takes chuk-ai-session-manager's keyword arguments and builds its messages from them."""

from __future__ import annotations

import pytest

from sessionforge.errors import (
    ContextOverflowError,
    InvalidSessionOperation,
    MissingAPIKeyError,
    SessionAlreadyExists,
    SessionManagerError,
    SessionNotFound,
    StorageError,
    StoreUnavailableError,
    TokenLimitExceeded,
    ToolProcessingError,
    UnknownProviderError,
)
from sessionforge.providers import create_provider


def test_session_not_found_needs_no_id() -> None:
    error = SessionNotFound()
    assert error.session_id is None
    assert str(error) == "Session not found"
    assert "abc" in str(SessionNotFound("abc"))
    assert SessionNotFound(session_id="abc").session_id == "abc"
    assert isinstance(error, KeyError)


def test_session_already_exists_takes_the_id_by_keyword() -> None:
    error = SessionAlreadyExists(session_id="s1")
    assert error.session_id == "s1"
    assert "s1" in str(error)
    assert str(SessionAlreadyExists("taken")) == "taken"


def test_invalid_session_operation_builds_its_message_from_operation_and_reason() -> None:
    error = InvalidSessionOperation(operation="add_event", reason="the session is closed")
    assert (error.operation, error.reason, error.session_id) == ("add_event", "the session is closed", None)
    assert str(error) == "Invalid operation 'add_event': the session is closed"
    assert str(InvalidSessionOperation("fork")) == "Invalid operation: fork"
    assert str(InvalidSessionOperation(message="no")) == "no"
    assert isinstance(error, SessionManagerError)


def test_token_limit_exceeded_takes_both_call_styles() -> None:
    chuk_style = TokenLimitExceeded(limit=100, actual=150)
    assert (chuk_style.limit, chuk_style.actual, chuk_style.needed) == (100, 150, 150)
    assert str(chuk_style) == "Token limit exceeded: 150 > 100"
    positional = TokenLimitExceeded(100, 150, "too long")
    assert (positional.limit, positional.actual, str(positional)) == (100, 150, "too long")
    ours = ContextOverflowError("over the limit", limit=10, needed=12)
    assert (ours.limit, ours.actual, ours.needed, str(ours)) == (10, 12, 12, "over the limit")
    assert str(TokenLimitExceeded()) == "Token limit exceeded"
    with pytest.raises(TypeError):
        TokenLimitExceeded("message", "another")


def test_storage_error_takes_operation_and_backend() -> None:
    error = StorageError(operation="save", backend="redis")
    assert (error.operation, error.backend) == ("save", "redis")
    assert str(error) == "Storage error in 'redis' during save"
    assert str(StorageError(operation="load")) == "Storage error during load"
    down = StoreUnavailableError("Redis is down", session_id="s")
    assert (str(down), down.session_id, down.operation) == ("Redis is down", "s", None)


def test_tool_processing_error_takes_tool_name_and_reason() -> None:
    error = ToolProcessingError(tool_name="calculator", reason="division by zero")
    assert (error.tool_name, error.reason) == ("calculator", "division by zero")
    assert str(error) == "Tool 'calculator' processing error: division by zero"
    assert str(ToolProcessingError(tool_name="calculator")) == "Tool 'calculator' processing error"


def test_provider_configuration_errors_say_which_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError) as missing:
        create_provider("openai")
    assert (missing.value.provider, missing.value.env_var) == ("openai", "OPENAI_API_KEY")
    with pytest.raises(UnknownProviderError) as unknown:
        create_provider("nonesuch")
    assert unknown.value.provider == "nonesuch"
