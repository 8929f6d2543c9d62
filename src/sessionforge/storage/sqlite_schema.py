"""The SQLite schema as numbered, append-only migrations, tracked by ``PRAGMA user_version``."""

from __future__ import annotations

import sqlite3

__all__ = ["MIGRATIONS", "migrate"]

MIGRATIONS: list[str] = [
    # 1: one row per session (its head: last sequence number, expiry), one row per event.
    """
    CREATE TABLE sessions (
        namespace   TEXT NOT NULL,
        session_id  TEXT NOT NULL,
        last_seq    INTEGER NOT NULL DEFAULT 0,
        created_at  REAL NOT NULL,
        updated_at  REAL NOT NULL,
        expires_at  REAL,
        PRIMARY KEY (namespace, session_id)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        namespace   TEXT NOT NULL,
        session_id  TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        record_id   TEXT,
        body        TEXT NOT NULL,
        PRIMARY KEY (namespace, session_id, seq)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX events_record_id ON events (namespace, session_id, record_id)
        WHERE record_id IS NOT NULL;
    CREATE INDEX sessions_expiry ON sessions (expires_at) WHERE expires_at IS NOT NULL;
    """,
]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to the newest schema; returns the version reached."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise sqlite3.DatabaseError(
                f"database schema version {version} is newer than this sessionforge ({len(MIGRATIONS)})"
            )
        for number in range(version, len(MIGRATIONS)):
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)
