"""The real database servers for property tests that run against every backend.

Started once per run, on loopback ports, like the integration tests' own (a missing server binary
fails the test with the install command; nothing is skipped quietly).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servers import PostgresServer, RedisServer, start_or_fail


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_or_fail(RedisServer)
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_or_fail(PostgresServer)
    yield server
    server.close()
