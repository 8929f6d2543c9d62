"""``sessions list`` reads an SQLite store and prints a table: it imports no provider SDK, no HTTP
client, no driver of another backend, no tokenizer, no web framework and no retry library. (Our own
modules it must not import are checked in ``test_startup_imports.py``.)

The real program runs in a fresh interpreter under ``-X importtime``; how long it takes is measured
in ``bench/compare.py`` (start-up), not here.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sessionforge import ChatMessage, ChatSession, open_store

THIRD_PARTY_NEVER_FOR_LIST = (
    "openai",
    "anthropic",
    "httpx",
    "httpcore",
    "anyio",
    "tenacity",
    "tiktoken",
    "llama_cpp",
    "numpy",
    "redis",
    "psycopg",
    "psycopg_pool",
    "starlette",
    "uvicorn",
    "jinja2",
    "pygments",
    "markdown_it",
    "yaml",
    "orjson",
)


def _imported(args: list[str], env: dict[str, str]) -> tuple[set[str], str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sessionforge", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200", **env},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }
    return modules, done.stdout


def test_sessions_list_imports_no_sdk_client_driver_or_tokenizer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sdk.db'}"
    store = open_store(url)
    for number in range(3):
        session = ChatSession(system_prompt="be brief", session_id=f"listed-{number}")
        session.add_message(ChatMessage.user("hello"))
        session.add_message(ChatMessage.assistant("hi"))
        session.save(store)
    asyncio.run(store.aclose())
    for extra in ([], ["--json"], ["--all-namespaces"]):
        modules, out = _imported(
            ["sessions", "list", "--store", url, *extra], {"SESSIONFORGE_CACHE_DIR": str(tmp_path)}
        )
        assert "listed-2" in out
        assert "pydantic" in modules  # the measurement saw the imports
        loaded = sorted(
            m for m in modules if any(m == p or m.startswith(p + ".") for p in THIRD_PARTY_NEVER_FOR_LIST)
        )
        assert loaded == [], extra
