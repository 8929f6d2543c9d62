"""chuk-ai-session-manager's names through the mirror that the parity scripts do not reach."""

from __future__ import annotations

import pytest

import sessionforge
import sessionforge.compat.chuk_ai_session_manager as casm
import sessionforge.faces.simple_api
from sessionforge.compat.chuk_ai_session_manager import (
    InvalidSessionOperation,
    PromptStrategy,
    Session,
    SessionManager,
    SessionNotFound,
)
from sessionforge.compat.chuk_ai_session_manager.base_models import DictCompatModel
from sessionforge.compat.chuk_ai_session_manager.config import DEFAULT_TOKEN_MODEL
from sessionforge.compat.chuk_ai_session_manager.models import SessionStats
from sessionforge.compat.chuk_ai_session_manager.session_storage import (
    SESSION_TYPE,
    ChukSessionsStore,
    SessionStorage,
    SessionStorageStats,
    get_backend,
    setup_chuk_sessions_storage,
)
from sessionforge.storage import config as storage_config


def test_the_session_model_is_sessionforges_own() -> None:
    assert casm.Session is sessionforge.Session
    assert casm.SessionEvent is sessionforge.SessionEvent
    assert casm.SessionNotFound is sessionforge.SessionNotFound
    assert issubclass(SessionManager, sessionforge.SessionManager)


def test_stats_read_as_attributes_keys_and_a_dict() -> None:
    stats = SessionStats(session_id="s", total_tokens=12)
    assert stats.total_tokens == stats["total_tokens"] == 12
    assert "total_tokens" in stats and "nope" not in stats
    assert stats.get("nope", 1) == 1
    assert stats == stats.model_dump()
    with pytest.raises(KeyError):
        stats["nope"]
    assert isinstance(stats, DictCompatModel)


async def test_manager_takes_chuks_arguments_and_refuses_the_pager() -> None:
    sm = SessionManager(session_id="chosen-id", system_prompt="Be brief.", default_model="gpt-4o")
    await sm.user_says("Hello?")
    assert sm.session_id == "chosen-id" and sm.model == "gpt-4o"
    assert sm.vm is None and sm.get_vm_context() is None
    stats = await sm.get_stats()
    assert isinstance(stats, SessionStats) and stats.total_events == 1
    with pytest.raises(InvalidSessionOperation) as refused:
        SessionManager(enable_vm=True)
    assert refused.value.operation == "enable_vm"


async def test_summary_callback_and_reloading_the_chain() -> None:
    sm = SessionManager(infinite_context=True, max_turns_per_segment=2)
    sm.set_summary_callback(lambda messages: f"{len(messages)} messages so far")
    for i in range(3):
        await sm.user_says(f"Question {i}?")
        await sm.ai_responds(f"Answer {i}.", model="gpt-4o-mini")
    chain = await sm.load_session_chain()
    assert len(chain) == 3 and chain[-1] == sm.session_id
    segment = await Session.load(sm.session_id)
    assert segment is not None
    assert any("messages so far" in str(e.message) for e in segment.events)


async def test_storage_face() -> None:
    storage = setup_chuk_sessions_storage(sandbox_id="app", default_ttl_hours=2)
    try:
        assert isinstance(storage, SessionStorage)
        stats = storage.get_stats()
        assert isinstance(stats, SessionStorageStats) and stats.sandbox_id == "app"
        assert get_backend().backend is storage.backend  # it is every face's default store now
        session = await Session.create(metadata={"user_id": "u1"})
        store = ChukSessionsStore(storage)
        assert (await store.get(session.id)) is not None
        assert session.id in await store.list_sessions()
        assert SESSION_TYPE == "ai_session_manager"
        info = casm.get_storage_info()
        assert info["sandbox_id"] == "app" and info["provider"] == "sqlite"
    finally:
        await storage.aclose()
        storage_config.set_default_store(None)


def test_every_exported_name_is_bound_once() -> None:
    """Part of ``__all__`` is sessionforge's simple-API list: each of its names must be imported here too."""
    assert len(casm.__all__) == len(set(casm.__all__))
    assert [name for name in casm.__all__ if not hasattr(casm, name)] == []
    assert set(sessionforge.faces.simple_api.__all__) <= set(casm.__all__)


def test_package_level_helpers() -> None:
    assert casm.get_version() == casm.__version__ == "0.11.2"
    available = casm.is_available()
    assert available["session_manager"] and available["enhanced_token_counting"]
    assert DEFAULT_TOKEN_MODEL == "gpt-4o-mini"  # neither variable is set here
    assert PromptStrategy("task") is PromptStrategy.TASK_FOCUSED
    assert PromptStrategy("tool") is PromptStrategy.TOOL_FOCUSED


async def test_reading_an_unknown_session_still_raises() -> None:
    with pytest.raises(SessionNotFound):
        await casm.get_session_stats("never-made")
