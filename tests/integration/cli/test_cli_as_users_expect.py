"""The command line as a new user meets it: namespaces, tables at 80 columns, JSON, paging, forks that
survive a delete, unreadable sessions listed with the reason, stores never created by a typo, and
errors as one line with what to do (the traceback only with ``--debug``)."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sessionforge import ChatMessage, ChatSession, open_store
from sessionforge.cli import app
from sessionforge.core.events import EventSource, EventType, SessionEvent
from sessionforge.core.usage import TokenUsage
from sessionforge.providers.base import USAGE_KEY
from sessionforge.storage.forks import fork, list_branches
from sessionforge.storage.session import Session

UUID = "9f1c3a52-4a4b-4d5e-9a55-0e1f2a3b4c5d"


def _chat(store_url: str, session_id: str, turns: int = 2, namespace: str = "default") -> None:
    session = ChatSession(system_prompt="Be brief.", session_id=session_id, model="gpt-4o-mini")
    for i in range(turns):
        session.add_message(ChatMessage.user(f"question {i}"))
        usage = {
            "prompt_tokens": 30 + i,
            "completion_tokens": 10,
            "estimated_cost_usd": 0.00001,
            "model": "gpt-4o-mini",
        }
        session.add_message(ChatMessage.assistant(f"answer {i}", metadata={USAGE_KEY: usage}))
    session.save(open_store(store_url, namespace=namespace))


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "80")
    return CliRunner()


def _widest(text: str) -> int:
    return max(len(line.rstrip()) for line in text.splitlines())


def test_version_and_help(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and re.fullmatch(r"sessionforge \d+\.\d+\.\d+\S*\n", result.output)


def test_tables_fit_80_columns_and_json_has_every_field(narrow: CliRunner, store_url: str) -> None:
    _chat(store_url, UUID)
    _chat(store_url, "alpha", turns=3)
    listed = narrow.invoke(app, ["sessions", "list", "--store", store_url])
    assert listed.exit_code == 0, listed.output
    assert _widest(listed.output) <= 80
    assert "gpt-4o-mini" in listed.output and "0.000030" in listed.output  # model and cost still there
    assert "9f1c3a52-4a4b-4d5e" in listed.output  # a long id wraps rather than vanishes
    for command in (["sessions", "show", "alpha"], ["sessions", "stats"]):
        shown = narrow.invoke(app, [*command, "--store", store_url])
        assert shown.exit_code == 0 and _widest(shown.output) <= 80, shown.output

    rows = json.loads(narrow.invoke(app, ["sessions", "list", "--json", "--store", store_url]).output)
    assert {r["id"] for r in rows} == {"alpha", UUID}
    alpha = next(r for r in rows if r["id"] == "alpha")
    assert (alpha["turns"], alpha["calls"], alpha["models"], alpha["total_tokens"]) == (
        3,
        3,
        ["gpt-4o-mini"],
        123,
    )
    shown = json.loads(
        narrow.invoke(app, ["sessions", "show", "alpha", "--json", "--store", store_url]).output
    )
    assert shown["total_entries"] == 7 and [t["turn"] for t in shown["usage"]] == [1, 2, 3]
    stats = json.loads(narrow.invoke(app, ["sessions", "stats", "--json", "--store", store_url]).output)
    assert stats["totals"]["turns"] == 5 and stats["models"]["gpt-4o-mini"]["calls"] == 5


def test_show_pages_with_limit_and_offset(runner: CliRunner, store_url: str) -> None:
    _chat(store_url, "long", turns=100)
    first = runner.invoke(app, ["sessions", "show", "long", "--store", store_url])
    assert first.exit_code == 0
    assert "question 0" in first.output and "question 30" not in first.output
    assert "entries 1-50 of 201; --offset 50 for more" in first.output
    later = runner.invoke(
        app, ["sessions", "show", "long", "--offset", "199", "--limit", "5", "--store", store_url]
    )
    assert "answer 99" in later.output and "question 0\n" not in later.output
    assert "entries 200-201 of 201" in later.output
    everything = runner.invoke(app, ["sessions", "show", "long", "--limit", "0", "--store", store_url])
    assert "question 0" in everything.output and "answer 99" in everything.output
    page = json.loads(
        runner.invoke(
            app, ["sessions", "show", "long", "--json", "--limit", "3", "--offset", "1", "--store", store_url]
        ).output
    )
    assert [e["text"] for e in page["entries"]] == ["question 0", "answer 0", "question 1"]


def test_usage_tables_on_a_narrow_terminal_name_the_columns_they_leave_out(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    _chat(store_url, "alpha", turns=3)  # three calls: 123 tokens, $0.000030
    stats = CliRunner().invoke(app, ["sessions", "stats", "--store", store_url])
    assert stats.exit_code == 0 and _widest(stats.output) <= 40, stats.output
    assert "tokens" in stats.output and "cost (USD)" in stats.output  # headers whole, not cut
    assert "123" in stats.output and "0.000030" in stats.output
    words = " ".join(stats.output.split())  # the note wraps at 40 columns
    assert "left out at this width: completion, prompt, calls (--json has every field)" in words
    shown = CliRunner().invoke(app, ["sessions", "show", "alpha", "--store", store_url])
    assert shown.exit_code == 0 and _widest(shown.output) <= 40, shown.output
    assert "left out at this width: model," in " ".join(shown.output.split())


def test_namespace_stats_count_the_history_a_fork_shares_once(runner: CliRunner, store_url: str) -> None:
    _chat(store_url, "base", turns=2)  # two calls: 30 + 10 and 31 + 10 tokens, $0.00001 each
    forked = runner.invoke(app, ["sessions", "fork", "base", "--id", "branch", "--store", store_url])
    assert forked.exit_code == 0, forked.output
    store = open_store(store_url, namespace="default")
    branch = ChatSession.load("branch", store)
    branch.add_message(ChatMessage.user("only in the fork"))
    usage = {"prompt_tokens": 50, "completion_tokens": 5, "estimated_cost_usd": 0.00002, "model": "gpt-4o"}
    branch.add_message(ChatMessage.assistant("forked answer", metadata={USAGE_KEY: usage}))
    branch.save(store)

    def stats(*args: str) -> dict[str, Any]:
        done = runner.invoke(app, ["sessions", "stats", *args, "--json", "--store", store_url])
        assert done.exit_code == 0, done.output
        return dict(json.loads(done.output))

    alone = stats("branch")  # a fork's own figures hold the history it shares
    assert alone["totals"]["calls"] == 3 and alone["totals"]["total_tokens"] == 136
    whole = stats()
    assert whole["totals"]["sessions"] == 2
    assert whole["totals"]["calls"] == 3 and whole["totals"]["turns"] == 3
    assert whole["totals"]["total_tokens"] == 81 + 55
    assert whole["totals"]["cost_usd"] == pytest.approx(0.00004)
    assert whole["models"]["gpt-4o-mini"]["calls"] == 2 and whole["models"]["gpt-4o"]["calls"] == 1


def test_show_at_or_past_the_end_says_so(runner: CliRunner, store_url: str) -> None:
    _chat(store_url, "short", turns=2)  # the system prompt and four messages: 5 entries
    at_end = runner.invoke(app, ["sessions", "show", "short", "--offset", "5", "--store", store_url])
    assert at_end.exit_code == 0, at_end.output
    assert "no entries after entry 5 of 5" in at_end.output and "answer 1" not in at_end.output
    for args in (["--offset", "6"], ["--offset", "100", "--json"]):
        past = runner.invoke(app, ["sessions", "show", "short", *args, "--store", store_url])
        assert past.exit_code == 1
        assert past.output.strip().endswith(
            f"error: --offset {args[1]} is past the end: session short has 5 entries"
        )


def test_namespaces_on_every_command(
    runner: CliRunner, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _chat(store_url, "mine")
    _chat(store_url, "theirs", namespace="team:a")
    plain = runner.invoke(app, ["sessions", "list", "--store", store_url, "--namespace", "empty"])
    assert "0 sessions" in plain.output and "other namespaces in this store: default, team:a" in plain.output
    team = runner.invoke(app, ["sessions", "list", "--store", store_url, "--namespace", "team:a"])
    assert "theirs" in team.output and "mine" not in team.output
    monkeypatch.setenv("SESSIONFORGE_NAMESPACE", "team:a")
    assert runner.invoke(app, ["sessions", "show", "theirs", "--store", store_url]).exit_code == 0
    assert runner.invoke(app, ["sessions", "stats", "theirs", "--store", store_url]).exit_code == 0
    monkeypatch.delenv("SESSIONFORGE_NAMESPACE")
    every = json.loads(
        runner.invoke(app, ["sessions", "list", "--all-namespaces", "--json", "--store", store_url]).output
    )
    assert {(r["namespace"], r["id"]) for r in every} == {("default", "mine"), ("team:a", "theirs")}
    forked = runner.invoke(
        app, ["sessions", "fork", "theirs", "--id", "t2", "--namespace", "team:a", "--store", store_url]
    )
    assert forked.exit_code == 0, forked.output
    deleted = runner.invoke(
        app, ["sessions", "delete", "t2", "-y", "--namespace", "team:a", "--store", store_url]
    )
    assert deleted.exit_code == 0 and "deleted t2" in deleted.output
    help_texts = [
        runner.invoke(app, [*command, "--help"]).output
        for command in (
            ["chat"],
            ["import"],
            ["migrate"],
            ["inspect"],
            *(
                ["sessions", name]
                for name in ("list", "show", "stats", "delete", "fork", "summarize", "export")
            ),
        )
    ]
    assert all("--namespace" in text for text in help_texts)


def test_delete_with_forks_asks_cascades_or_detaches(runner: CliRunner, store_url: str) -> None:
    for name in ("p1", "p2", "p3"):
        _chat(store_url, name)
        runner.invoke(
            app, ["sessions", "fork", name, "--at", "4", "--id", f"{name}-fork", "--store", store_url]
        )
    runner.invoke(app, ["sessions", "fork", "p2-fork", "--id", "p2-fork-fork", "--store", store_url])
    refused = runner.invoke(app, ["sessions", "delete", "p1", "-y", "--store", store_url])
    assert refused.exit_code == 1 and "p1-fork" in refused.output and "--cascade" in refused.output
    assert "p1" in json.dumps(
        json.loads(runner.invoke(app, ["sessions", "list", "--json", "--store", store_url]).output)
    )

    cascade = runner.invoke(app, ["sessions", "delete", "p1", "--cascade", "-y", "--store", store_url])
    assert cascade.exit_code == 0 and "deleted p1-fork" in cascade.output and "deleted p1" in cascade.output

    before = ChatSession.load("p2-fork", open_store(store_url, namespace="default")).history
    detach = runner.invoke(app, ["sessions", "delete", "p2", "--detach", "-y", "--store", store_url])
    assert detach.exit_code == 0, detach.output
    assert "detached p2-fork" in detach.output
    store = open_store(store_url, namespace="default")
    after = ChatSession.load("p2-fork", store)
    assert [(m.role, m.text) for m in after.history] == [(m.role, m.text) for m in before]
    grandchild = ChatSession.load("p2-fork-fork", store)  # its position was moved with the detach
    assert [m.text for m in grandchild.history] == [m.text for m in before]
    assert asyncio.run(list_branches("p2-fork", store)) == ["p2-fork-fork"]

    listed = runner.invoke(app, ["sessions", "list", "--store", store_url])
    assert listed.exit_code == 0 and "warning" not in listed.output
    both = runner.invoke(app, ["sessions", "delete", "p3", "--cascade", "--detach", "--store", store_url])
    assert both.exit_code == 1 and "choose one" in both.output
    answered = runner.invoke(app, ["sessions", "delete", "p3", "--store", store_url], input="n\n")
    assert answered.exit_code == 1 and ChatSession.load("p3", store).history


async def _orphan(url: str) -> None:
    """A fork whose parent was deleted behind the CLI's back (what old versions left)."""
    store = open_store(url, namespace="default")
    parent = await Session.create(session_id="gone", store=store)
    await parent.add_event(SessionEvent(message="hi", source=EventSource.USER, type=EventType.MESSAGE))
    await parent.save()
    await fork("gone", store=store, new_session_id="orphan")
    await store.delete("gone")
    await store.aclose()


def test_an_unreadable_session_is_a_warning_row(runner: CliRunner, store_url: str, tmp_path: Path) -> None:
    _chat(store_url, "fine")
    asyncio.run(_orphan(store_url))
    listed = runner.invoke(app, ["sessions", "list", "--store", store_url])
    assert listed.exit_code == 0, listed.output
    assert "fine" in listed.output and "orphan" in listed.output
    assert "warning: session orphan cannot be read" in listed.output and "gone" in listed.output
    rows = json.loads(runner.invoke(app, ["sessions", "list", "--json", "--store", store_url]).output)
    assert [r["id"] for r in rows] == ["fine", "orphan"] and rows[1]["kind"] == "unreadable"
    stats = runner.invoke(app, ["sessions", "stats", "--store", store_url])
    assert stats.exit_code == 0 and "orphan cannot be read and is not counted" in stats.output
    by_reference = runner.invoke(
        app, ["sessions", "export", "--all", "-o", str(tmp_path / "ref"), "--store", store_url]
    )
    assert by_reference.exit_code == 0 and "exported 2 sessions" in by_reference.output  # its own records
    out = tmp_path / "all"
    exported = runner.invoke(
        app, ["sessions", "export", "--all", "--inline-forks", "-o", str(out), "--store", store_url]
    )
    assert exported.exit_code == 0 and "skipped orphan" in exported.output, exported.output
    assert sorted(p.name for p in out.iterdir()) == ["fine.jsonl"]
    one = runner.invoke(app, ["sessions", "show", "orphan", "--store", store_url])
    assert one.exit_code == 1 and one.output.startswith("error:") and "Traceback" not in one.output


def test_reading_never_creates_a_store(runner: CliRunner, tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "sesions.db"
    url = f"sqlite:///{typo}"
    for command in (
        ["sessions", "list"],
        ["sessions", "show", "x"],
        ["sessions", "stats"],
        ["sessions", "delete", "x", "-y"],
        ["sessions", "fork", "x"],
        ["sessions", "export", "--all", "-o", str(tmp_path / "o")],
        ["sessions", "summarize", "x"],
    ):
        result = runner.invoke(app, [*command, "--store", url])
        assert result.exit_code == 1 and f"no store at {typo}" in result.output.replace("//", "/"), (
            command,
            result.output,
        )
    assert not typo.parent.exists()
    missing = runner.invoke(app, ["migrate", "--from", url, "--to", f"sqlite:///{tmp_path / 'to.db'}"])
    assert missing.exit_code == 1 and "no store at" in missing.output
    assert not typo.parent.exists() and not (tmp_path / "to.db").exists()


def test_migrate_from_an_empty_source_fails(runner: CliRunner, store_url: str, tmp_path: Path) -> None:
    _chat(store_url, "a")
    empty = runner.invoke(
        app,
        ["migrate", "--from", store_url, "--to", f"sqlite:///{tmp_path / 'to.db'}", "--namespace", "nope"],
    )
    assert (
        empty.exit_code == 1
        and "holds no sessions" in empty.output
        and "nothing was migrated" in empty.output
    )
    typo = runner.invoke(
        app, ["migrate", "--from", "sqlit:///x.db", "--to", f"sqlite:///{tmp_path / 'to.db'}"]
    )
    assert typo.exit_code == 1 and "unknown store URL" in typo.output


def test_import_of_a_fork_without_its_parent_is_refused(
    runner: CliRunner, store_url: str, tmp_path: Path
) -> None:
    _chat(store_url, "base")
    runner.invoke(app, ["sessions", "fork", "base", "--id", "child", "--store", store_url])
    path = tmp_path / "child.jsonl"
    runner.invoke(app, ["sessions", "export", "child", "-o", str(path), "--store", store_url])
    other = f"sqlite:///{tmp_path / 'other.db'}"
    refused = runner.invoke(app, ["import", str(path), "--store", other])
    assert (
        refused.exit_code == 1
        and "import base first" in refused.output
        and "--inline-forks" in refused.output
    )
    assert json.loads(runner.invoke(app, ["sessions", "list", "--json", "--store", other]).output) == []


def test_summarize_says_when_nothing_was_worth_keeping(runner: CliRunner, store_url: str) -> None:
    session = ChatSession(session_id="chatter", model="gpt-4o-mini")
    for _ in range(20):
        session.add_message(ChatMessage.user("ok"))
        session.add_message(ChatMessage.assistant("ok"))
    session.save(open_store(store_url, namespace="default"))
    result = runner.invoke(app, ["sessions", "summarize", "chatter", "--save", "--store", store_url])
    assert result.exit_code == 1 and "nothing in session chatter was worth keeping" in result.output
    assert "nothing was saved (try --strategy basic or --with local)" in result.output
    basic = runner.invoke(
        app, ["sessions", "summarize", "chatter", "--strategy", "basic", "--store", store_url]
    )
    assert basic.exit_code == 1 and "worth keeping" in basic.output
    assert "saved" not in basic.output  # nothing was to be saved
    assert "(try --with local)" in basic.output and "try --strategy basic" not in basic.output
    assert len(ChatSession.load("chatter", open_store(store_url, namespace="default")).history) == 40
    assert "--target-tokens" in runner.invoke(app, ["sessions", "summarize", "--help"]).output
    bad = runner.invoke(
        app, ["sessions", "summarize", "chatter", "--target-tokens", "0", "--store", store_url]
    )
    assert bad.exit_code == 2


def test_a_saved_summary_does_not_list_the_summarizer_as_a_model(runner: CliRunner, store_url: str) -> None:
    session = ChatSession(session_id="facts", model="gpt-4o-mini")
    facts = [
        "Order 1001 ships to Berlin on May 2.",
        "Anna decided to pay by invoice.",
        "The warehouse in Lyon closes at 18:00.",
        "Our deadline for the Madrid launch is June 30.",
        "Ben agreed to review the contract with Acme.",
        "Refunds above 500 euros need approval from Clara.",
        "The Tokyo office opens on 1 September.",
        "We chose PostgreSQL 16 for the ledger.",
        "Dana will call the supplier in Oslo on Friday.",
        "The budget for Q3 is 40,000 euros.",
    ]
    for i, fact in enumerate(facts):
        session.add_message(ChatMessage.user(fact))
        usage = {
            "prompt_tokens": 20,
            "completion_tokens": 5,
            "estimated_cost_usd": 0.00001,
            "model": "gpt-4o-mini",
        }
        session.add_message(ChatMessage.assistant(f"Noted order {1000 + i}.", metadata={USAGE_KEY: usage}))
    session.save(open_store(store_url, namespace="default"))
    saved = runner.invoke(app, ["sessions", "summarize", "facts", "--save", "--store", store_url])
    assert saved.exit_code == 0, saved.output
    rows = json.loads(runner.invoke(app, ["sessions", "list", "--json", "--store", store_url]).output)
    assert rows[0]["models"] == ["gpt-4o-mini"] and rows[0]["calls"] == 10 and rows[0]["turns"] == 10
    stats = json.loads(runner.invoke(app, ["sessions", "stats", "--json", "--store", store_url]).output)
    assert list(stats["models"]) == ["gpt-4o-mini"]


async def _manager_style(url: str) -> None:
    """User turns that carry tokens (as the session-manager API records them) and model replies."""
    store = open_store(url, namespace="default")
    session = await Session.create(session_id="managed", store=store)
    for i in range(3):
        await session.add_event(
            SessionEvent(
                message=f"q{i}", source=EventSource.USER, token_usage=TokenUsage.of(5, 0, model="gpt-4o-mini")
            )
        )
        await session.add_event(
            SessionEvent(
                message=f"a{i}", source=EventSource.LLM, token_usage=TokenUsage.of(0, 7, model="gpt-4o-mini")
            )
        )
    await session.save()
    await store.aclose()


def test_turns_are_counted_the_same_everywhere(runner: CliRunner, store_url: str) -> None:
    asyncio.run(_manager_style(store_url))
    row = json.loads(runner.invoke(app, ["sessions", "list", "--json", "--store", store_url]).output)[0]
    shown = json.loads(
        runner.invoke(app, ["sessions", "show", "managed", "--json", "--store", store_url]).output
    )
    stats = json.loads(
        runner.invoke(app, ["sessions", "stats", "managed", "--json", "--store", store_url]).output
    )
    assert row["turns"] == len(shown["usage"]) == stats["totals"]["turns"] == 3
    assert row["calls"] == stats["totals"]["calls"] == 3  # model calls: the user's tokens are no call
    assert row["total_tokens"] == shown["usage"][-1]["total_tokens"] * 3 == 36


def test_debug_shows_the_traceback(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    quiet = runner.invoke(app, ["sessions", "list", "--store", url])
    assert quiet.exit_code == 1 and quiet.exception is not None and isinstance(quiet.exception, SystemExit)
    loud = runner.invoke(app, ["--debug", "sessions", "list", "--store", url])
    assert loud.exit_code == 1 and not isinstance(loud.exception, SystemExit)  # raised as it is
    assert os.environ.get("SESSIONFORGE_DEBUG") is None
