"""Fuzzing the command line: whatever a user types or imports, the answer is an exit code and at most
one line of error, never a traceback and never an "unexpected" error (exit 70 means a bug).

Store URLs stay on this machine: files under the test's directory, and Redis/PostgreSQL URLs that
name no host or a closed port on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from sessionforge import ChatMessage, ChatSession, open_store
from sessionforge.cli import app

ROOT = Path(__file__).resolve().parents[3]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
FORMATS = ["auto", "jsonl", "openai", "anthropic", "langchain", "openai-agents"]


def _clean(result: Result, allowed: frozenset[int] = frozenset({0, 1, 2})) -> None:
    """An exit code we chose, no exception but the exit, no traceback, errors on one line."""
    assert result.exit_code in allowed, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for line in result.output.splitlines():
        if line.startswith("error:"):
            assert "unexpected" not in line, line


@pytest.fixture
def seeded(store_url: str) -> str:
    session = ChatSession(system_prompt="Be brief.", session_id="s1", model="gpt-4o-mini")
    session.add_message(ChatMessage.user("hello"))
    session.add_message(ChatMessage.assistant("hi"))
    session.save(open_store(store_url, namespace="default"))
    return store_url


def _store_urls(tmp: Path) -> st.SearchStrategy[str]:
    text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30)
    fixed = st.sampled_from(
        [
            "",
            "::",
            "sqlite:/x.db",
            "sqlite://",
            "sqlite:///",
            "sqlite:///:memory:",
            f"sqlite:///{tmp}",  # a directory
            f"sqlite:///{tmp}/no/such/dir/x.db",
            "memory://",
            "redis://",
            "redis://127.0.0.1:1/0",
            "redis+cluster://",
            "rediss://:@",
            "postgresql://",
            "postgres://127.0.0.1:1/db",
            "http://127.0.0.1:1/",
            "ftp://x",
            "sqlite:///%00",
            "sqlite:///%ZZ",
        ]
    )
    files = text.map(lambda name: f"sqlite:///{tmp}/{name}")
    odd = text.filter(
        lambda t: "://" not in t or not t.split("://")[0].lower().startswith(("redis", "postgres"))
    )
    return st.one_of(fixed, files, odd)


def test_fuzz_store_urls(runner: CliRunner, tmp_path: Path) -> None:
    @FUZZ
    @given(
        url=_store_urls(tmp_path),
        command=st.sampled_from([["sessions", "list"], ["sessions", "stats"], ["sessions", "show", "x"]]),
    )
    def check(url: str, command: list[str]) -> None:
        _clean(runner.invoke(app, [*command, "--store", url]))

    check()


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(
                st.sampled_from(
                    [
                        "role",
                        "content",
                        "type",
                        "data",
                        "tool_calls",
                        "messages",
                        "system",
                        "name",
                        "id",
                        "text",
                    ]
                )
                | st.text(max_size=8),
                inner,
                max_size=5,
            ),
        ),
        max_leaves=20,
    )


def test_fuzz_import(runner: CliRunner, tmp_path: Path, store_url: str) -> None:
    path = tmp_path / "input.json"

    @FUZZ
    @given(
        body=st.one_of(
            _json_values().map(lambda v: json.dumps(v)),
            st.text(max_size=200),
            st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
            st.just('{"format": "sessionforge.session", "version": 0}\n'),
            st.just(
                '{"format": "sessionforge.session", "version": 1, "session_id": "x", "records": 1}\n{"seq": 1}\n'
            ),
            st.just("[" * 5000 + "]" * 5000),
        ),
        fmt=st.sampled_from(FORMATS),
    )
    def check(body: str, fmt: str) -> None:
        path.write_text(body, encoding="utf-8", errors="surrogatepass")
        _clean(
            runner.invoke(app, ["import", str(path), "-f", fmt, "--store", store_url]), frozenset({0, 1, 2})
        )

    check()


def test_fuzz_arguments(runner: CliRunner, seeded: str) -> None:
    token = st.one_of(
        st.sampled_from(
            [
                "s1",
                "nope",
                "-1",
                "0",
                "99999",
                "x y",
                "a/b",
                "é",
                "\n",
                "--json",
                "--limit",
                "--offset",
                "-n",
                "--at",
                "--id",
                "--prefix",
                "--namespace",
                "--format",
                "-f",
                "--with",
                "--strategy",
                "--target-tokens",
                "--chunk-tokens",
                "--cascade",
                "--detach",
                "-y",
                "",
            ]
        ),
        st.text(max_size=10),
    )
    commands = st.sampled_from(
        [
            ["sessions", "list"],
            ["sessions", "show"],
            ["sessions", "stats"],
            ["sessions", "fork"],
            ["sessions", "delete", "-y"],
            ["sessions", "summarize"],
            ["sessions", "export"],
        ]
    )

    @FUZZ
    @given(command=commands, rest=st.lists(token, max_size=5))
    def check(command: list[str], rest: list[str]) -> None:
        _clean(runner.invoke(app, [*command, *rest, "--store", seeded]))

    check()


@pytest.mark.parametrize(
    "argv",
    [
        ["sessions", "list", "--store", "sqlite:/x.db"],
        ["sessions", "list", "-n", "-1"],
        ["inspect", "--port", "99999", "--no-browser"],
        ["sessions", "export", "s1", "-o", "/proc/no/such/dir/out.jsonl"],
    ],
)
def test_the_real_entry_point_prints_one_line(argv: list[str], seeded: str) -> None:
    store = [] if "--store" in argv else ["--store", seeded]
    done = subprocess.run(
        [sys.executable, "-m", "sessionforge", *argv, *store],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode in {1, 2}, done
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert errors, done.stderr
