"""``sessions``, ``import`` and ``migrate`` through the real ``app``, on SQLite files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sessionforge.cli import app
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.faces.chat_session import ChatSession
from sessionforge.providers.base import USAGE_KEY
from sessionforge.storage.config import open_store
from sessionforge.storage.forks import list_branches


def _seed(store_url: str, session_id: str = "alpha") -> None:
    """A stored conversation with a tool call and a compaction, as the library writes them."""
    session = ChatSession(system_prompt="Be brief.", session_id=session_id, model="gpt-4o-mini")
    session.add_message(ChatMessage.user("What is the weather in Paris?"))
    session.add_message(
        ChatMessage.assistant(
            None, tool_calls=[ToolCall(id="c1", name="weather", arguments={"city": "Paris"})]
        )
    )
    session.add_message(ChatMessage.tool("sunny, 21C", tool_call_id="c1", name="weather"))
    usage = {
        "prompt_tokens": 30,
        "completion_tokens": 10,
        "estimated_cost_usd": 0.00001,
        "model": "gpt-4o-mini",
    }
    # The agent stores each reply with the usage of the call that wrote it.
    session.add_message(ChatMessage.assistant("It is sunny in Paris.", metadata={USAGE_KEY: usage}))
    session.save(open_store(store_url, namespace="default"))


def test_list_show_stats(runner: CliRunner, store_url: str) -> None:
    _seed(store_url)
    listed = runner.invoke(app, ["sessions", "list", "--store", store_url])
    assert listed.exit_code == 0, listed.output
    assert "alpha" in listed.output and "1 session in" in listed.output
    as_json = json.loads(runner.invoke(app, ["sessions", "list", "--json", "--store", store_url]).output)
    assert as_json[0]["id"] == "alpha" and as_json[0]["total_tokens"] == 40 and as_json[0]["messages"] == 5

    shown = runner.invoke(app, ["sessions", "show", "alpha", "--store", store_url])
    assert shown.exit_code == 0, shown.output
    for text in (
        "user: What is the weather in Paris?",
        'calls weather({"city": "Paris"})',
        "tool (weather): sunny",
        "assistant: It is sunny in Paris.",
        "tokens and cost per turn",
    ):
        assert text in shown.output
    stats = runner.invoke(app, ["sessions", "stats", "--store", store_url])
    assert stats.exit_code == 0, stats.output
    assert (
        "gpt-4o-mini" in stats.output
        and "0.000010" in stats.output
        and "1 session: 5 messages" in stats.output
    )

    missing = runner.invoke(app, ["sessions", "show", "nope", "--store", store_url])
    assert missing.exit_code == 1 and "nope" in missing.output


def test_fork_then_delete(runner: CliRunner, store_url: str) -> None:
    _seed(store_url)
    forked = runner.invoke(
        app, ["sessions", "fork", "alpha", "--at", "3", "--id", "beta", "--store", store_url]
    )
    assert forked.exit_code == 0, forked.output
    assert forked.output.strip() == "beta"
    store = open_store(store_url, namespace="default")
    import asyncio

    assert asyncio.run(list_branches("alpha", store)) == ["beta"]
    shown = runner.invoke(app, ["sessions", "show", "beta", "--store", store_url])
    assert "forked from alpha at record 3" in shown.output
    assert "What is the weather in Paris?" in shown.output and "It is sunny" not in shown.output

    refused = runner.invoke(app, ["sessions", "delete", "beta", "--store", store_url], input="n\n")
    assert refused.exit_code == 1 and "nothing deleted" in refused.output
    unanswered = runner.invoke(app, ["sessions", "delete", "beta", "--store", store_url], input="")
    assert unanswered.exit_code == 1 and "pass -y to delete without asking" in unanswered.output
    empty_id = runner.invoke(app, ["sessions", "fork", "alpha", "--id", "", "--store", store_url])
    assert empty_id.exit_code == 1 and "invalid session id ''" in empty_id.output
    assert asyncio.run(list_branches("alpha", store)) == ["beta"]  # neither changed anything
    deleted = runner.invoke(app, ["sessions", "delete", "beta", "-y", "--store", store_url])
    assert deleted.exit_code == 0 and "deleted beta" in deleted.output
    again = runner.invoke(app, ["sessions", "delete", "beta", "-y", "--store", store_url])
    assert again.exit_code == 1


@pytest.mark.parametrize("fmt", ["jsonl", "openai", "anthropic"])
def test_export_then_import_round_trip(runner: CliRunner, store_url: str, tmp_path: Path, fmt: str) -> None:
    _seed(store_url)
    out = tmp_path / f"alpha.{fmt}"
    exported = runner.invoke(
        app, ["sessions", "export", "alpha", "-f", fmt, "-o", str(out), "--store", store_url]
    )
    assert exported.exit_code == 0, exported.output
    text = out.read_text()
    if fmt == "openai":
        messages = json.loads(text)["messages"]
        assert messages[0]["role"] == "system"
        assert messages[2]["tool_calls"][0]["function"]["name"] == "weather"
    elif fmt == "anthropic":
        body = json.loads(text)
        assert body["system"] == "Be brief."
        assert any(
            b.get("type") == "tool_use"
            for m in body["messages"]
            if isinstance(m["content"], list)
            for b in m["content"]
        )
    target = f"sqlite:///{tmp_path / 'other.db'}"
    imported = runner.invoke(app, ["import", str(out), "--id", "copy", "--store", target])
    assert imported.exit_code == 0, imported.output
    assert "imported copy" in imported.output
    copy = ChatSession.load("copy", open_store(target, namespace="default"))
    original = ChatSession.load("alpha", open_store(store_url, namespace="default"))
    assert [(m.role, m.text, m.tool_calls) for m in copy.history] == [
        (m.role, m.text, m.tool_calls) for m in original.history
    ]


def test_export_all_to_a_directory_and_stdout(runner: CliRunner, store_url: str, tmp_path: Path) -> None:
    for name in ("a1", "a2", "a3"):
        _seed(store_url, name)
    result = runner.invoke(
        app, ["sessions", "export", "--all", "-o", str(tmp_path / "out"), "--store", store_url]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a1.jsonl", "a2.jsonl", "a3.jsonl"]
    to_stdout = runner.invoke(app, ["sessions", "export", "a1", "--store", store_url])
    assert json.loads(to_stdout.output.splitlines()[0])["format"] == "sessionforge.session"
    dash = runner.invoke(app, ["sessions", "export", "a1", "-o", "-", "--store", store_url])
    assert dash.exit_code == 0 and not Path("-").exists()
    assert dash.output.splitlines()[1:] == to_stdout.output.splitlines()[1:]  # the header has a time
    several = runner.invoke(app, ["sessions", "export", "a1", "a2", "-o", "-", "--store", store_url])
    assert several.exit_code == 1 and "--output DIRECTORY, not -" in several.output
    assert runner.invoke(app, ["sessions", "export", "a1", "-f", "yaml", "--store", store_url]).exit_code == 1


def test_export_all_of_an_empty_namespace(runner: CliRunner, store_url: str, tmp_path: Path) -> None:
    _seed(store_url, "elsewhere")  # the store exists; the namespace asked for holds nothing
    out = tmp_path / "out"
    args = ["sessions", "export", "--all", "--store", store_url, "--namespace", "empty"]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 0 sessions" in result.output and "namespace empty holds none" in result.output
    assert out.is_dir() and not list(out.iterdir())
    no_output = runner.invoke(app, args)
    assert no_output.exit_code == 1 and "--all needs --output DIRECTORY" in no_output.output
    nothing = runner.invoke(app, ["sessions", "export", "--store", store_url])
    assert nothing.exit_code == 1 and "name the sessions to export, or pass --all" in nothing.output


def test_migrate_between_two_sqlite_files(runner: CliRunner, store_url: str, tmp_path: Path) -> None:
    for name in ("m1", "m2"):
        _seed(store_url, name)
    runner.invoke(app, ["sessions", "fork", "m1", "--id", "m1-fork", "--store", store_url])
    target = f"sqlite:///{tmp_path / 'target.db'}"
    result = runner.invoke(app, ["migrate", "--from", store_url, "--to", target])
    assert result.exit_code == 0, result.output
    assert "migrated 3 sessions" in result.output and "record counts verified" in result.output
    again = runner.invoke(app, ["migrate", "--from", store_url, "--to", target])
    assert "3 already present" in again.output
    shown = runner.invoke(app, ["sessions", "show", "m1-fork", "--store", target])
    assert "forked from m1" in shown.output and "It is sunny in Paris." in shown.output
    same = runner.invoke(app, ["migrate", "--from", target, "--to", target])
    assert same.exit_code == 1


def test_import_an_openai_message_list_by_detection(
    runner: CliRunner, store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "chat.json"
    path.write_text(
        json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
    )
    result = runner.invoke(app, ["import", str(path), "--store", store_url])
    assert result.exit_code == 0, result.output
    session_id = result.output.split("imported ")[1].split()[0]
    assert [
        m.text for m in ChatSession.load(session_id, open_store(store_url, namespace="default")).history
    ] == ["hi", "hello"]


def test_import_an_openai_agents_sdk_database(runner: CliRunner, store_url: str, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "agents.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE agent_sessions (session_id TEXT PRIMARY KEY, created_at TEXT, updated_at TEXT)"
    )
    conn.execute(
        "CREATE TABLE agent_messages (id INTEGER PRIMARY KEY, session_id TEXT, message_data TEXT, created_at TEXT)"
    )
    conn.execute("INSERT INTO agent_sessions VALUES ('sdk-1', '2026-01-01', '2026-01-01')")
    for item in ({"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}):
        conn.execute(
            "INSERT INTO agent_messages (session_id, message_data) VALUES ('sdk-1', ?)", (json.dumps(item),)
        )
    conn.commit()
    conn.close()
    result = runner.invoke(app, ["import", str(path), "--store", store_url])
    assert result.exit_code == 0, result.output
    assert "imported sdk-1" in result.output
    history = ChatSession.load("sdk-1", open_store(store_url, namespace="default")).history
    assert [(m.role, m.text) for m in history] == [("user", "hi"), ("assistant", "hello there")]


def test_summarize_a_long_session_in_chunks_and_store_the_summary(runner: CliRunner, store_url: str) -> None:
    store = open_store(store_url, namespace="default")
    session = ChatSession(session_id="long", model="gpt-4o-mini")
    for i in range(40):
        session.add_message(ChatMessage.user(f"Please note that order {1000 + i} ships to warehouse W{i}."))
        session.add_message(ChatMessage.assistant(f"Noted: order {1000 + i} goes to warehouse W{i}."))
    session.save(store)

    args = ["sessions", "summarize", "long", "--chunk-tokens", "200", "--store", store_url]
    result = runner.invoke(app, [*args, "--save"])
    assert result.exit_code == 0, result.output
    assert "80 messages (" in result.output and "chunks" in result.output
    chunks = int(result.output.split(" tokens) in ")[1].split(" chunks")[0])
    assert chunks > 5  # the transcript was read in pieces, the summary rolled through them
    assert "order 1039" in result.output  # the newest facts made it into the final summary
    assert "saved the summary to long" in result.output

    stored = ChatSession.load("long", store=open_store(store_url, namespace="default"))
    assert len(stored.history) == 80  # nothing removed
    shown = runner.invoke(app, ["sessions", "show", "long", "--offset", "80", "--store", store_url])
    assert "summary: " in shown.output and "entries 81-81 of 81" in shown.output

    bad = runner.invoke(app, ["sessions", "summarize", "long", "--with", "magic", "--store", store_url])
    assert bad.exit_code == 1 and "extractive or local" in bad.output
    missing = runner.invoke(app, ["sessions", "summarize", "nope", "--store", store_url])
    assert missing.exit_code == 1 and "nope" in missing.output
