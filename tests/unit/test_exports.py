"""Every public name of both specs is importable from the top level, and __all__ is sorted."""

from __future__ import annotations

import importlib

import sessionforge

FORGE_NAMES = {"ChatAgent", "ChatSession", "ContextOverflowError", "TruncateCompactor", "ChatMessage"}
CHUK_NAMES = {
    "SessionManager",
    "track_conversation",
    "track_llm_call",
    "quick_conversation",
    "track_infinite_conversation",
    "track_tool_use",
    "get_session_stats",
    "get_conversation_history",
    "Session",
    "SessionEvent",
    "SessionMetadata",
    "SessionRun",
    "RunStatus",
    "EventSource",
    "EventType",
    "TokenUsage",
    "TokenSummary",
    "InfiniteConversationManager",
    "SummarizationStrategy",
    "SessionAwareToolProcessor",
    "build_prompt_from_session",
    "PromptStrategy",
    "truncate_prompt_to_token_limit",
    "setup_chuk_sessions_storage",
    "SessionManagerError",
    "SessionNotFound",
    "SessionAlreadyExists",
    "InvalidSessionOperation",
    "TokenLimitExceeded",
    "StorageError",
    "ToolProcessingError",
    "configure_storage",
    "get_version",
    "is_available",
    "SessionStorage",
    "ChukSessionsStore",
}


def test_all_is_sorted_and_covers_both_specs() -> None:
    assert sessionforge.__all__ == sorted(sessionforge.__all__)
    assert set(sessionforge.__all__) >= (FORGE_NAMES | CHUK_NAMES)


def test_every_exported_name_resolves() -> None:
    for name in sessionforge.__all__:
        assert getattr(sessionforge, name) is not None, name


def test_exports_point_at_their_defining_module() -> None:
    for name, module in sessionforge._EXPORTS.items():
        mod = importlib.import_module(module, "sessionforge")
        assert getattr(mod, name) is getattr(sessionforge, name)


def test_errors_share_one_root() -> None:
    from sessionforge import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.SessionforgeError)
    assert issubclass(errors.ContextOverflowError, errors.TokenLimitExceeded)
    assert issubclass(errors.StorageError, errors.SessionManagerError)


def test_the_lazy_table_and_the_static_view_agree() -> None:
    """``__all__`` is literal and every lazy name is imported under TYPE_CHECKING, so what a type
    checker reads is what runs."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(sessionforge.__file__).read_text(encoding="utf-8"))
    static: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                static.update(alias.name for alias in stmt.names)
    assert static == set(sessionforge._EXPORTS)
    assert set(sessionforge.__all__) == {*sessionforge._EXPORTS, "__version__", "get_version", "is_available"}
