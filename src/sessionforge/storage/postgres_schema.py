"""The PostgreSQL schema as numbered, append-only migrations recorded in a version table.

Never edit a migration that has shipped: add the next one. ``migrate`` runs under a transaction-level
advisory lock, so many processes starting at once apply each migration exactly once.
"""

from __future__ import annotations

from typing import Any

from ..errors import StorageError

__all__ = ["MIGRATIONS", "VERSION_TABLE", "migrate"]

VERSION_TABLE = "sessionforge_schema_version"
_LOCK_KEY = 0x5E55_F0F6  # any constant; shared by every sessionforge process on the database

MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "m001_sessions_and_events",
        [
            # One head row per session: the last seq and the expiry (server clock), locked by appends.
            """CREATE TABLE sessionforge_sessions (
                namespace   text NOT NULL,
                session_id  text NOT NULL,
                last_seq    bigint NOT NULL DEFAULT 0,
                created_at  timestamptz NOT NULL DEFAULT now(),
                updated_at  timestamptz NOT NULL DEFAULT now(),
                expires_at  timestamptz,
                PRIMARY KEY (namespace, session_id)
            )""",
            # One row per event; deleting the head row deletes the events.
            """CREATE TABLE sessionforge_events (
                namespace   text NOT NULL,
                session_id  text NOT NULL,
                seq         bigint NOT NULL,
                record_id   text,
                body        text NOT NULL,
                PRIMARY KEY (namespace, session_id, seq),
                FOREIGN KEY (namespace, session_id)
                    REFERENCES sessionforge_sessions (namespace, session_id) ON DELETE CASCADE
            )""",
            """CREATE UNIQUE INDEX sessionforge_events_record_id
                ON sessionforge_events (namespace, session_id, record_id) WHERE record_id IS NOT NULL""",
            """CREATE INDEX sessionforge_sessions_expiry
                ON sessionforge_sessions (namespace, expires_at) WHERE expires_at IS NOT NULL""",
        ],
    ),
    (
        "m002_append_function",
        [
            # The whole append in one round trip: lock the head, restart an expired log, insert the
            # records after last_seq skipping known ids, move the head. One statement, one transaction.
            """CREATE FUNCTION sessionforge_append(
                p_ns text, p_sid text, p_ttl float8, p_ids text[], p_bodies text[]
            ) RETURNS bigint LANGUAGE plpgsql AS $fn$
            DECLARE
                v_last bigint;
                v_expired boolean;
                v_added integer;
            BEGIN
                INSERT INTO sessionforge_sessions AS s (namespace, session_id, expires_at)
                VALUES (p_ns, p_sid, now() + p_ttl * interval '1 second')
                ON CONFLICT (namespace, session_id) DO UPDATE SET updated_at = now()
                RETURNING s.last_seq, (s.expires_at IS NOT NULL AND s.expires_at <= now())
                INTO v_last, v_expired;
                IF v_expired THEN
                    DELETE FROM sessionforge_events WHERE namespace = p_ns AND session_id = p_sid;
                    v_last := 0;
                END IF;
                FOR i IN 1 .. coalesce(array_length(p_bodies, 1), 0) LOOP
                    INSERT INTO sessionforge_events (namespace, session_id, seq, record_id, body)
                    VALUES (p_ns, p_sid, v_last + 1, p_ids[i], p_bodies[i]) ON CONFLICT DO NOTHING;
                    GET DIAGNOSTICS v_added = ROW_COUNT;
                    v_last := v_last + v_added;
                END LOOP;
                UPDATE sessionforge_sessions
                SET last_seq = v_last, updated_at = now(), expires_at = now() + p_ttl * interval '1 second',
                    created_at = CASE WHEN v_expired THEN now() ELSE created_at END
                WHERE namespace = p_ns AND session_id = p_sid;
                RETURN v_last;
            END
            $fn$""",
        ],
    ),
    (
        "m003_listing_index",
        [
            # Pages of the session list in byte order (as Python sorts ids), whatever the
            # database's collation: the primary key's order is the collation's.
            """CREATE INDEX sessionforge_sessions_listing
                ON sessionforge_sessions (namespace, session_id COLLATE "C")""",
        ],
    ),
    (
        "m004_append_writes_the_head_once",
        [
            # The same append, writing the head row once in the usual case: the upsert moves it by
            # the whole batch (a row version and its WAL fewer than upsert-then-update), and only a
            # record id seen before moves it back. An expired head is left as it is by the upsert
            # (its WHERE), which returns no row: the log then restarts from 0.
            """CREATE OR REPLACE FUNCTION sessionforge_append(
                p_ns text, p_sid text, p_ttl float8, p_ids text[], p_bodies text[]
            ) RETURNS bigint LANGUAGE plpgsql AS $fn$
            DECLARE
                v_n integer := coalesce(array_length(p_bodies, 1), 0);
                v_last bigint;
                v_added integer := 0;
                v_one integer;
            BEGIN
                INSERT INTO sessionforge_sessions AS s (namespace, session_id, last_seq, expires_at)
                VALUES (p_ns, p_sid, v_n, now() + p_ttl * interval '1 second')
                ON CONFLICT (namespace, session_id) DO UPDATE
                SET last_seq = s.last_seq + v_n, updated_at = now(), expires_at = excluded.expires_at
                WHERE s.expires_at IS NULL OR s.expires_at > now()
                RETURNING s.last_seq - v_n INTO v_last;
                IF v_last IS NULL THEN
                    DELETE FROM sessionforge_events WHERE namespace = p_ns AND session_id = p_sid;
                    UPDATE sessionforge_sessions
                    SET last_seq = v_n, created_at = now(), updated_at = now(),
                        expires_at = now() + p_ttl * interval '1 second'
                    WHERE namespace = p_ns AND session_id = p_sid;
                    v_last := 0;
                END IF;
                FOR i IN 1 .. v_n LOOP
                    INSERT INTO sessionforge_events (namespace, session_id, seq, record_id, body)
                    VALUES (p_ns, p_sid, v_last + v_added + 1, p_ids[i], p_bodies[i]) ON CONFLICT DO NOTHING;
                    GET DIAGNOSTICS v_one = ROW_COUNT;
                    v_added := v_added + v_one;
                END LOOP;
                IF v_added < v_n THEN
                    UPDATE sessionforge_sessions SET last_seq = v_last + v_added
                    WHERE namespace = p_ns AND session_id = p_sid;
                END IF;
                RETURN v_last + v_added;
            END
            $fn$""",
        ],
    ),
]


async def migrate(conn: Any, target: int | None = None) -> int:
    """Bring the database to version ``target`` (default: newest); returns the version reached.

    ``conn`` is a psycopg ``AsyncConnection`` in autocommit mode; each run is one transaction.
    """
    target = len(MIGRATIONS) if target is None else target
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
            "version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur = await conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}")
        row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise StorageError(
                f"database schema version {version} is newer than this sessionforge "
                f"({len(MIGRATIONS)}): upgrade sessionforge"
            )
        for number in range(version, target):
            name, statements = MIGRATIONS[number]
            for statement in statements:
                await conn.execute(statement)
            await conn.execute(
                f"INSERT INTO {VERSION_TABLE} (version, name) VALUES (%s, %s)", (number + 1, name)
            )
    return max(version, target)
