"""PostgreSQL migrations: a blank database and every older version reach the same, exact schema."""

from __future__ import annotations

import psycopg
import pytest

from servers import PostgresServer
from sessionforge.errors import StorageError
from sessionforge.storage.postgres_schema import MIGRATIONS, VERSION_TABLE, migrate

pytestmark = pytest.mark.postgres

EXPECTED_COLUMNS = {
    ("sessionforge_events", "body", "text", "NO"),
    ("sessionforge_events", "namespace", "text", "NO"),
    ("sessionforge_events", "record_id", "text", "YES"),
    ("sessionforge_events", "seq", "bigint", "NO"),
    ("sessionforge_events", "session_id", "text", "NO"),
    ("sessionforge_schema_version", "applied_at", "timestamp with time zone", "NO"),
    ("sessionforge_schema_version", "name", "text", "NO"),
    ("sessionforge_schema_version", "version", "integer", "NO"),
    ("sessionforge_sessions", "created_at", "timestamp with time zone", "NO"),
    ("sessionforge_sessions", "expires_at", "timestamp with time zone", "YES"),
    ("sessionforge_sessions", "last_seq", "bigint", "NO"),
    ("sessionforge_sessions", "namespace", "text", "NO"),
    ("sessionforge_sessions", "session_id", "text", "NO"),
    ("sessionforge_sessions", "updated_at", "timestamp with time zone", "NO"),
}
# Indexes and functions: every named object a migration creates besides columns.
EXPECTED_INDEXES = {
    "sessionforge_events_pkey",
    "sessionforge_events_record_id",
    "sessionforge_schema_version_pkey",
    "sessionforge_sessions_expiry",
    "sessionforge_sessions_listing",
    "sessionforge_sessions_pkey",
    "function sessionforge_append",
}


async def _schema(url: str) -> tuple[set[tuple[str, ...]], set[str], list[int]]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
        columns = {tuple(row) for row in await cur.fetchall()}
        cur = await conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        indexes = {row[0] for row in await cur.fetchall()}
        cur = await conn.execute(
            "SELECT proname FROM pg_proc JOIN pg_namespace n ON n.oid = pronamespace WHERE nspname = 'public'"
        )
        indexes |= {f"function {row[0]}" for row in await cur.fetchall()}
        cur = await conn.execute(f"SELECT version FROM {VERSION_TABLE} ORDER BY version")
        versions = [row[0] for row in await cur.fetchall()]
    return columns, indexes, versions


async def test_blank_database_gets_the_exact_schema(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        assert await migrate(conn) == len(MIGRATIONS)
        assert await migrate(conn) == len(MIGRATIONS)  # a second run changes nothing
    columns, indexes, versions = await _schema(url)
    assert columns == EXPECTED_COLUMNS
    assert indexes == EXPECTED_INDEXES
    assert versions == list(range(1, len(MIGRATIONS) + 1))


@pytest.mark.parametrize("start", range(len(MIGRATIONS)))
async def test_every_older_version_upgrades(postgres_server: PostgresServer, start: int) -> None:
    url = postgres_server.create_database()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        assert await migrate(conn, target=start) == start
        assert await migrate(conn) == len(MIGRATIONS)
    columns, indexes, _ = await _schema(url)
    assert (columns, indexes) == (EXPECTED_COLUMNS, EXPECTED_INDEXES)


async def test_a_newer_schema_is_refused(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await migrate(conn)
        await conn.execute(
            f"INSERT INTO {VERSION_TABLE} (version, name) VALUES (%s, 'future')", (len(MIGRATIONS) + 1,)
        )
        with pytest.raises(StorageError, match="newer than this sessionforge"):
            await migrate(conn)
