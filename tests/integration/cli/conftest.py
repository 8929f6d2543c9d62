"""The CLI tests: the wire-protocol servers, a runner on the real ``app``, and stores to fill."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from servers.fixtures import anthropic_server, openai_server, provider_env, wire_servers

__all__ = ["anthropic_server", "openai_server", "provider_env", "runner", "store_url", "wire_servers"]


@pytest.fixture(autouse=True)
def _width_from_each_tests_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The program's consoles are made once per process, and rich fixes their width from COLUMNS
    there and then: whichever test first ran a command would set the width of every later one. Each
    test's COLUMNS counts instead."""
    from sessionforge.cli import _common

    for console in (_common.console, _common.err_console):
        monkeypatch.setattr(console, "_width", None)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Wide output so that tables do not cut session ids."""
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"
