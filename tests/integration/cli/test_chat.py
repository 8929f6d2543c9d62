"""``sessionforge chat`` through the real entry point, against the local OpenAI wire server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sessionforge.cli import app
from sessionforge.cli._digest import usage_rows
from sessionforge.faces.chat_session import ChatSession
from sessionforge.storage.config import open_store

ROOT = Path(__file__).resolve().parents[3]


def _load(store_url: str, session_id: str) -> ChatSession:
    return ChatSession.load(session_id, open_store(store_url, namespace="default"))


@pytest.mark.usefixtures("provider_env")
def test_scripted_chat_streams_saves_and_accounts_each_turn(
    runner: CliRunner, store_url: str, tmp_path: Path
) -> None:
    script = tmp_path / "lines.txt"
    script.write_text(
        "# a comment line is skipped\nHello, my name is Ada.\n/stats\nWhat is my name?\n/quit\nnever sent\n"
    )
    result = runner.invoke(
        app,
        ["chat", "--provider", "openai", "--script", str(script), "--session", "s1", "--store", store_url],
    )
    assert result.exit_code == 0, result.output
    assert "Your name is Ada" in result.output  # the history reached the server
    assert "turn 1: 9 prompt + 6 completion = 15 tokens (exact), cost $0.000005" in result.output
    assert "turn 2:" in result.output
    assert "prompt tokens" in result.output  # /stats table
    assert "never sent" not in result.output
    session = _load(store_url, "s1")
    assert [m.role for m in session.history] == ["user", "assistant", "user", "assistant"]
    assert session.metadata == {}  # usage is appended with each reply, not kept in a rewritten list
    turns = usage_rows(session.history)
    assert [t["prompt_tokens"] for t in turns] == [9, 27]
    assert all(t["model"] == "gpt-4o-mini" and t["cost_usd"] > 0 for t in turns)

    resumed = runner.invoke(
        app,
        ["chat", "-p", "openai", "--script", "-", "--session", "s1", "--store", store_url],
        input="What is my name?\n",
    )
    assert resumed.exit_code == 0, resumed.output
    assert "resumed session s1: 4 stored messages" in resumed.output
    assert "turn 3:" in resumed.output
    assert len(_load(store_url, "s1").history) == 6


@pytest.mark.usefixtures("provider_env")
def test_slash_commands_fork_clear_compact_and_switch_model(runner: CliRunner, store_url: str) -> None:
    lines = "Hello, my name is Ada.\n/compact\nWhat is my name?\nAnd again, what is my name?\n/compact\n/clear\n/model gpt-4o\nHi again\n/fork\nIn the fork\n/nonsense\n"
    result = runner.invoke(
        app,
        [
            "chat",
            "-p",
            "openai",
            "--script",
            "-",
            "--session",
            "s2",
            "--store",
            store_url,
            "--system",
            "Be brief.",
        ],
        input=lines,
    )
    assert result.exit_code == 0, result.output
    assert "/compact failed: cannot fit the conversation" in result.output  # reported, the chat goes on
    assert "compacted" in result.output
    assert "view cleared" in result.output
    assert "now talking to openai / gpt-4o" in result.output
    assert "forked s2 -> " in result.output
    assert "commands: /stats" in result.output
    fork_id = result.output.split("forked s2 -> ")[1].split(";")[0].strip()
    fork = _load(store_url, fork_id)
    assert fork.history[-1].role == "assistant"
    assert any(m.text == "In the fork" for m in fork.history)
    assert not any(m.text == "In the fork" for m in _load(store_url, "s2").history)
    assert usage_rows(fork.history)[-1]["model"].startswith("gpt-4o")


def test_a_provider_without_credentials_fails_with_a_message(runner: CliRunner, store_url: str) -> None:
    result = runner.invoke(
        app, ["chat", "-p", "openai", "--script", "-", "--store", store_url], input="Hello\n"
    )
    assert result.exit_code == 1
    assert "OPENAI_API_KEY" in result.output or "api key" in result.output.lower()


def test_python_dash_m_runs_a_scripted_chat(openai_server: object, store_url: str) -> None:
    from servers.httpd import GOOD_KEY

    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]),
        OPENAI_BASE_URL=f"{openai_server.url}/v1",  # type: ignore[attr-defined]
        OPENAI_API_KEY=GOOD_KEY,
        COLUMNS="200",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sessionforge",
            "chat",
            "-p",
            "openai",
            "--script",
            "-",
            "-s",
            "sub",
            "--store",
            store_url,
        ],
        input="Hello, my name is Ada.\nWhat is my name?\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Your name is Ada" in done.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "sessionforge", "sessions", "list", "--store", store_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "sub" in listed.stdout and "gpt-4o-mini" in listed.stdout


@pytest.mark.local_model
def test_scripted_chat_on_the_embedded_model(runner: CliRunner, store_url: str) -> None:
    result = runner.invoke(
        app,
        [
            "chat",
            "--provider",
            "local",
            "--max-tokens",
            "8",
            "--script",
            "-",
            "-s",
            "loc",
            "--store",
            store_url,
        ],
        input="Say hello.\n",
    )
    assert result.exit_code == 0, result.output
    assert "local / smollm2-135m" in result.output
    assert "turn 1:" in result.output and "(exact), cost $0.000000" in result.output
    session = _load(store_url, "loc")
    assert [m.role for m in session.history] == ["user", "assistant"]
    assert usage_rows(session.history)[0]["completion_tokens"] <= 8


def test_api_key_and_base_url_flags(
    runner: CliRunner, store_url: str, openai_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servers.httpd import GOOD_KEY

    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    missing = runner.invoke(
        app, ["chat", "-p", "openai", "--script", "-", "--store", store_url], input="Hi\n"
    )
    assert missing.exit_code == 1
    assert "--api-key" in missing.output and "api_key=" not in missing.output  # shell terms, not Python
    result = runner.invoke(
        app,
        [
            "chat",
            "-p",
            "openai",
            "--api-key",
            GOOD_KEY,
            "--base-url",
            f"{openai_server.url}/v1",  # type: ignore[attr-defined]
            "--script",
            "-",
            "-s",
            "flags",
            "--store",
            store_url,
        ],
        input="Hello, my name is Ada.\n",
    )
    assert result.exit_code == 0, result.output
    assert len(_load(store_url, "flags").history) == 2


@pytest.mark.usefixtures("provider_env")
def test_a_failed_first_turn_leaves_no_empty_session(
    runner: CliRunner, store_url: str, openai_server: object
) -> None:
    openai_server.fail_next(500, times=10)  # type: ignore[attr-defined]
    result = runner.invoke(
        app,
        [
            "chat",
            "-p",
            "openai",
            "--script",
            "-",
            "-s",
            "never",
            "--system",
            "Be brief.",
            "--store",
            store_url,
        ],
        input="Hello\n",
    )
    assert result.exit_code == 1
    assert "turn failed, session unchanged" in result.output and "was not saved" in result.output
    listed = runner.invoke(app, ["sessions", "list", "--json", "--store", store_url])
    assert json.loads(listed.output) == []


def test_model_switch_on_the_local_provider_is_refused(runner: CliRunner, store_url: str) -> None:
    result = runner.invoke(
        app,
        ["chat", "-p", "local", "--script", "-", "--store", store_url],
        input="/model gpt-4o-mini\n/quit\n",
    )
    assert result.exit_code == 0, result.output
    assert "the local provider runs only smollm2-135m" in result.output
    assert "now talking to" not in result.output
