"""The SQLite schema: migrations from blank and from every older version reach the exact schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sessionforge.storage.sqlite_schema import MIGRATIONS, migrate

EXPECTED_TABLES = {
    "sessions": ["namespace", "session_id", "last_seq", "created_at", "updated_at", "expires_at"],
    "events": ["namespace", "session_id", "seq", "record_id", "body"],
}
EXPECTED_INDEXES = {"events_record_id", "sessions_expiry"}


def _schema(conn: sqlite3.Connection) -> tuple[dict[str, list[str]], set[str]]:
    tables = {
        name: [row[1] for row in conn.execute(f"PRAGMA table_info({name})")]
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    indexes = {
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")
    }
    return tables, indexes


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_blank_database_reaches_exact_schema(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "blank.db")
    assert migrate(conn) == len(MIGRATIONS)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert _schema(conn) == (EXPECTED_TABLES, EXPECTED_INDEXES)


@pytest.mark.parametrize("start", range(len(MIGRATIONS) + 1))
def test_every_older_version_migrates_forward(tmp_path: Path, start: int) -> None:
    conn = _connect(tmp_path / f"v{start}.db")
    for number in range(start):
        for statement in MIGRATIONS[number].split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {start}")
    migrate(conn)
    migrate(conn)  # idempotent
    assert _schema(conn) == (EXPECTED_TABLES, EXPECTED_INDEXES)


def test_newer_database_is_refused(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "future.db")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(sqlite3.DatabaseError, match="newer"):
        migrate(conn)
