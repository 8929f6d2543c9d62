"""Real Redis and PostgreSQL servers on loopback ports, started and stopped by the tests themselves.

Used by the storage integration tests and by ``bench/storage.py``. A missing server binary raises
:class:`ServerMissing` with the command that installs it; the fixtures turn that into a failure,
never a skip, so a green run always means every backend was exercised.
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = [
    "PostgresServer",
    "RedisCluster",
    "RedisServer",
    "ServerMissing",
    "free_port",
    "start_or_fail",
    "wait_for_port",
]

INSTALL_HINT = "run `scripts/bootstrap.sh --services` (or `make test`), which apt-installs it"


class ServerMissing(RuntimeError):
    """A server binary the storage tests need is not installed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too; Redis needs it at most 55535."""
    for _ in range(200):
        port = random.randint(20000, 55000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair for a Redis cluster node")


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited early:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not listen within {timeout}s:\n{log.read_text()}")


class RedisServer:
    """``redis-server`` in a temp dir. ``durable=True`` turns on AOF with fsync on every write."""

    def __init__(self, *, durable: bool = False, cluster: bool = False, port: int | None = None) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(self.binary):
            raise ServerMissing(f"redis-server is not installed: {INSTALL_HINT}")
        self.port = port or (_free_cluster_port() if cluster else free_port())
        self.dir = Path(tempfile.mkdtemp(prefix="sf-redis-"))
        self.durable = durable
        self.cluster = cluster
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--daemonize",
            "no",
            "--dir",
            str(self.dir),
        ]
        if self.durable:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        if self.cluster:
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
        log = self.dir / "redis.log"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
        wait_for_port(self.port, self.proc, log, 10)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisCluster:
    """Three ``--cluster-enabled`` primaries on loopback, joined by ``redis-cli --cluster create``."""

    def __init__(self, nodes: int = 3, *, durable: bool = False) -> None:
        self.nodes = [RedisServer(cluster=True, durable=durable) for _ in range(nodes)]

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}/0"

    def start(self) -> RedisCluster:
        cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
        if not os.path.exists(cli):
            raise ServerMissing(f"redis-cli is not installed: {INSTALL_HINT}")
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        result = subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed:\n{result.stdout}\n{result.stderr}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = [
                subprocess.run(
                    [cli, "-p", str(node.port), "cluster", "info"], capture_output=True, text=True, timeout=10
                ).stdout
                for node in self.nodes
            ]
            if all("cluster_state:ok" in state for state in states):
                return self
            time.sleep(0.1)
        raise RuntimeError("the Redis cluster did not reach cluster_state:ok within 30s")

    def close(self) -> None:
        for node in self.nodes:
            node.close()


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise ServerMissing(f"PostgreSQL ({name}) is not installed: {INSTALL_HINT}")
    return found[-1]


class PostgresServer:
    """A throwaway cluster: ``initdb`` into a temp dir, ``pg_ctl start`` on a loopback port.

    PostgreSQL refuses to run as root, so as root the server runs as ``nobody`` (owning its dir).
    ``fast=True`` turns fsync off: fine for tests, where the server itself is never crashed.
    """

    def __init__(self, *, fast: bool = True) -> None:
        self.initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sf-pg-"))
        self.data = self.dir / "data"
        self.fast = fast
        self._runas: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("nobody")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._runas = ["runuser", "-u", "nobody", "--"]
        self._counter = 0

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self._runas, *args], capture_output=True, text=True, timeout=120, cwd=self.dir
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed:\n{result.stdout}\n{result.stderr}")

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> PostgresServer:
        if not self.data.exists():
            self._run(
                self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"
            )
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=200"
        if self.fast:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "pg.log"),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        self._counter += 1
        name = f"t{os.getpid()}_{self._counter}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_or_fail(server_cls: type[Any], **kwargs: Any) -> Any:
    """Start a server for a test, or fail that test with the install command: never a quiet skip."""
    import pytest

    try:
        return server_cls(**kwargs).start()
    except ServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)
