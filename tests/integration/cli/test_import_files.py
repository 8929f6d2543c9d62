"""``sessionforge import`` with files that hold nothing to import, several files of which one is bad,
and ``--id`` where it cannot apply: each refused with one line, and what was stored is reported."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sessionforge import ChatSession, open_store
from sessionforge.cli import app


def _ids(store_url: str) -> list[str]:
    """The sessions the store holds (a refused import may leave no database file at all)."""

    async def listed() -> list[str]:
        store = open_store(store_url, namespace="default")
        try:
            return await store.list_sessions()
        finally:
            await store.aclose()

    return asyncio.run(listed())


@pytest.mark.parametrize(
    ("document", "fmt", "reason"),
    [
        ([], "auto", "it holds no messages"),
        ({}, "auto", "an object without a 'messages' list"),
        ({"conversation": [{"role": "user", "content": "hi"}]}, "auto", "without a 'messages' list"),
        ([{"content": "hi"}, {"text": "yo"}], "auto", "none of its 2 items is a message"),
        ([{"type": "human", "data": {"content": "hi"}}], "openai-agents", "none of its 1 item is a"),
    ],
)
def test_a_document_with_no_messages_is_refused_and_stores_nothing(
    runner: CliRunner, store_url: str, tmp_path: Path, document: object, fmt: str, reason: str
) -> None:
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(app, ["import", str(path), "-f", fmt, "--store", store_url])
    assert result.exit_code == 1, result.output
    assert reason in result.output and "imported" not in result.output
    assert "Traceback" not in result.output
    assert _ids(store_url) == []


def test_files_imported_before_a_bad_one_are_reported(
    runner: CliRunner, store_url: str, tmp_path: Path
) -> None:
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
    )
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = runner.invoke(app, ["import", str(good), str(bad), "--store", store_url])
    assert result.exit_code == 1
    assert "bad.json" in result.output
    stored = _ids(store_url)
    assert len(stored) == 1 and f"imported {stored[0]}" in result.output
    history = ChatSession.load(stored[0], open_store(store_url, namespace="default")).history
    assert [m.text for m in history] == ["hi", "hello"]


def test_id_is_refused_for_an_agents_sdk_database(runner: CliRunner, store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "agents.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE agent_sessions (session_id TEXT PRIMARY KEY, created_at TEXT, updated_at TEXT)"
    )
    conn.execute(
        "CREATE TABLE agent_messages (id INTEGER PRIMARY KEY, session_id TEXT, message_data TEXT, created_at TEXT)"
    )
    conn.execute("INSERT INTO agent_sessions VALUES ('sdk-1', '2026-01-01', '2026-01-01')")
    conn.execute(
        "INSERT INTO agent_messages (session_id, message_data) VALUES ('sdk-1', ?)",
        (json.dumps({"role": "user", "content": "hi"}),),
    )
    conn.commit()
    conn.close()
    result = runner.invoke(app, ["import", str(path), "--id", "mine", "--store", store_url])
    assert result.exit_code == 1
    assert "without --id" in result.output
    assert _ids(store_url) == []
