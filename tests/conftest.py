"""Fixtures every test shares: no test writes into the user's data or cache directory or needs a network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sessionforge.core import tokens
from sessionforge.storage import config as storage_config


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the tokenizer's cached ranks out of the user's cache directory; one thread for the embedded model."""
    patch = pytest.MonkeyPatch()
    patch.setenv(tokens.CACHE_DIR_ENV, str(tmp_path_factory.mktemp("cache")))
    # The suite runs one worker per core: the embedded model (here and in the processes tests start)
    # computes with one thread, as llama.cpp's threads slow each other down on busy cores.
    patch.setenv("SESSIONFORGE_LOCAL_THREADS", "1")
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _isolated_default_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the default store at a fresh SQLite file per test, and forget it afterwards."""
    monkeypatch.setenv(storage_config.ENV_VAR, f"sqlite:///{tmp_path / 'sessions.db'}")
    for var in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "SESSIONFORGE_PRICE",
    ):
        monkeypatch.delenv(var, raising=False)
    previous = storage_config.set_default_store(None)
    yield
    storage_config.set_default_store(previous)
