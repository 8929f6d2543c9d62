"""Real database servers for every integration test: started once per run, on loopback ports.

A server binary that is missing fails the test with the install command (``make test`` installs
them); nothing is skipped quietly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servers import PostgresServer, RedisCluster, RedisServer, start_or_fail


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_or_fail(RedisServer)
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    cluster = start_or_fail(RedisCluster)
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_or_fail(PostgresServer)
    yield server
    server.close()
