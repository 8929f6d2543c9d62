"""A store URL or option that names no store is a ConfigurationError saying what to write instead."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sessionforge.errors import ConfigurationError
from sessionforge.storage import config
from sessionforge.storage.config import open_store
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.postgres import PostgresStore
from sessionforge.storage.redis import RedisStore
from sessionforge.storage.sqlite import SQLiteStore

BAD_URLS = [
    ("sqlite:/x.db", "no scheme://"),
    ("sqlite:x.db", "no scheme://"),
    ("sqlite://", "names no file"),
    ("sqlite:///x.db?mode=ro", "not supported"),
    ("redis://", "names no host"),
    ("redis:///0", "names no host"),
    ("redis://localhost:99999/0", "Port out of range"),
    ("redis://localhost:port/0", "invalid Redis URL"),
    ("redis://localhost/zero", "must be a number"),
    ("redis://localhost/0?socket_timeout=soon", "invalid Redis URL"),
    ("redis+cluster://", "names no host"),
    ("rediss://:6379", "names no host"),
    ("postgresql://h:99999/db", "invalid PostgreSQL URL"),
    ("postgresql://h:port/db", "invalid PostgreSQL URL"),
    ("postgresql://h/db?sslmode", "invalid PostgreSQL URL"),
    ("postgres://u:secret@h:0x/db", "invalid PostgreSQL URL"),
    ("mysql://localhost/db", "unknown store URL"),
    ("localhost:6379", "no scheme://"),
    ("just words", "no scheme://"),
    ("://", "unknown store URL"),
]


@pytest.mark.parametrize(("url", "reason"), BAD_URLS, ids=[u for u, _ in BAD_URLS])
def test_a_bad_url_is_a_configuration_error(url: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason) as info:
        open_store(url)
    assert "secret" not in str(info.value)


def test_a_url_that_is_not_text_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="a store URL is text"):
        open_store(42)  # type: ignore[arg-type]


def test_the_environment_variable_is_named_when_it_is_the_bad_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.ENV_VAR, "redis://")
    with pytest.raises(ConfigurationError, match=r"\(from \$SESSIONFORGE_STORE\)"):
        open_store()


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"namespace": "a b"}, "invalid namespace"),
        ({"namespace": "team\n"}, "invalid namespace"),
        ({"namespace": 7}, "invalid namespace"),
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"ttl_seconds": "1h"}, "ttl_seconds"),
        ({"ttl_seconds": float("nan")}, "ttl_seconds"),
        ({"ttl_seconds": True}, "ttl_seconds"),
        ({"colour": "blue"}, "unexpected keyword argument 'colour'"),
        ({"encryption_key": "not a key"}, "Fernet key"),
    ],
    ids=repr,
)
def test_a_bad_option_is_a_configuration_error(options: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        open_store("memory://", **options)


def test_postgres_timeouts_must_be_positive() -> None:
    for name in ("connect_timeout", "command_timeout"):
        with pytest.raises(ConfigurationError, match=name):
            open_store("postgresql://localhost/db", **{name: 0})


def test_a_sqlite_path_that_is_a_folder_or_cannot_be_made(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="is a folder"):
        open_store(f"sqlite:///{tmp_path}")
    with pytest.raises(ConfigurationError, match="is a folder"):  # one that does not exist yet
        open_store(f"sqlite:///{tmp_path}/new/")
    assert not (tmp_path / "new").exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigurationError, match="cannot create the folder"):
        open_store(f"sqlite:///{blocker}/sub/sessions.db")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("memory://", MemoryStore),
        ("sqlite:///:memory:", SQLiteStore),
        ("redis://localhost:6379/0", RedisStore),
        ("REDIS://localhost", RedisStore),
        ("rediss://user:pw@host:6380/2", RedisStore),
        ("redis+cluster://127.0.0.1:7000/0", RedisStore),
        ("postgresql://user@host/db", PostgresStore),
        ("postgres://user:pw@host:5433/db?sslmode=disable", PostgresStore),
        ("PostgreSQL://user@host/db", PostgresStore),
    ],
)
def test_good_urls_open_without_connecting(url: str, kind: type) -> None:
    assert isinstance(open_store(url), kind)


def test_a_relative_sqlite_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite://rel/sessions.db")
    assert isinstance(store, SQLiteStore) and store.path == "rel/sessions.db"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///sessions.db", "sessions.db"),  # three slashes: relative, as in SQLAlchemy and LangChain
        ("sqlite:///data/s.db", "data/s.db"),
        ("sqlite:////var/db/s.db", "/var/db/s.db"),  # four: absolute
        ("sqlite://s.db", "s.db"),
        ("sqlite:///:memory:", ":memory:"),
        ("SQLite:///a%20b.db", "a b.db"),
    ],
)
def test_sqlite_urls_read_as_sqlalchemy_reads_them(url: str, path: str) -> None:
    assert config.sqlite_path(url) == path


def test_three_slashes_name_a_file_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    async def write() -> None:
        async with open_store("sqlite:///here.db") as store:
            await store.append("s", [{"id": "1", "text": "hi"}])

    asyncio.run(write())
    assert (tmp_path / "here.db").is_file()


def test_a_url_read_the_old_way_is_refused_rather_than_opening_an_empty_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Earlier versions read sqlite:///tmp/x.db as /tmp/x.db: with that file there and no tmp/x.db
    # here, the URL is refused with the way to write it, not opened as a new empty store.
    existing = tmp_path / "old.db"
    existing.write_bytes(b"")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    old_style = f"sqlite://{existing}"  # sqlite:///tmp/.../old.db: three slashes, then the path
    with pytest.raises(ConfigurationError, match=f"sqlite:///{existing}"):
        open_store(old_style)
    assert isinstance(open_store(f"sqlite:///{existing}"), SQLiteStore)  # four slashes: that file
