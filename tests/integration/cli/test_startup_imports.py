"""The command line starts light: a command imports the machinery it uses when it runs, so ``--help``
loads none of our models, providers or tokenizer, nor pydantic (typer brings it in to coerce a
command's arguments, so a command that runs imports it), and ``sessions list`` no provider, face or
tokenizer (nor any SDK, HTTP client, other backend's driver, web framework or retry library). Help is
plain click text: typer's rich help (its markdown, syntax highlighting and tracebacks) is never
imported. A command's module is imported when that command runs or a help
page lists it, so ``sessions list`` imports no other command.

Each case runs the real program in a fresh interpreter under ``-X importtime`` and reads the modules it
imported; how long that takes is measured in ``bench/compare.py`` (start-up), not here.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sessionforge import ChatMessage, ChatSession, open_store

NEVER_FOR_HELP = (
    "tiktoken",
    "asyncio",
    "starlette",
    "sessionforge.core.events",
    "sessionforge.core.messages",
    "sessionforge.faces",
    "sessionforge.providers",
    "sessionforge.storage.base",
    "sessionforge.interop",
    "sessionforge.context",
    "typer.rich_utils",
    "rich.markdown",
    "rich.syntax",
    "rich.traceback",
    "markdown_it",
    "pygments",
)
OTHER_COMMANDS = (
    "sessionforge.cli.chat",
    "sessionforge.cli.transfer",
    "sessionforge.cli.inspect",
    "sessionforge.cli.demo",
    "sessionforge.cli.export",
    "sessionforge.cli.manage",
    "sessionforge.cli.summarize",
)
NEVER_FOR_LIST = (
    # no provider SDK, HTTP client, other backend's driver, tokenizer, web framework or retry library
    *("openai", "anthropic", "httpx", "httpcore", "anyio", "tenacity", "tiktoken", "regex", "llama_cpp"),
    *("numpy", "redis", "psycopg", "psycopg_pool", "starlette", "uvicorn", "jinja2", "pygments"),
    *("markdown_it", "yaml"),
    "sessionforge.faces",
    "sessionforge.providers",
    "sessionforge.interop",
    "sessionforge.context",
    "typer.rich_utils",
    *OTHER_COMMANDS,
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


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["sessions", "--help"],
        ["sessions", "list", "--help"],
        ["chat", "--help"],
        ["import", "--help"],
    ],
)
def test_help_imports_no_model_provider_or_tokenizer(args: list[str]) -> None:
    modules, out = _imported(args, {})
    assert "Usage" in out
    assert "typer" in modules  # the measurement saw the imports
    assert _loaded(modules, NEVER_FOR_HELP) == []
    assert _loaded(modules, ("pydantic",)) == []


def test_sessions_list_imports_no_provider_face_or_tokenizer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'list.db'}"
    session = ChatSession(system_prompt="be brief", session_id="listed-one")
    session.add_message(ChatMessage.user("hello"))
    store = open_store(url)
    session.save(store)
    asyncio.run(store.aclose())
    for extra in ([], ["--json"], ["--all-namespaces"]):
        modules, out = _imported(
            ["sessions", "list", "--store", url, *extra], {"SESSIONFORGE_CACHE_DIR": str(tmp_path)}
        )
        assert "sessionforge.cli.sessions" in modules
        assert "listed-one" in out
        assert "sessionforge.storage.sqlite" in modules
        assert _loaded(modules, NEVER_FOR_LIST) == [], extra
        assert "sessionforge.cli._digest" in modules
    # Nothing to show: the heads are read, no session, and nothing that reads one is imported.
    modules, out = _imported(
        ["sessions", "list", "--store", url, "--prefix", "no-such-"],
        {"SESSIONFORGE_CACHE_DIR": str(tmp_path)},
    )
    assert "0 sessions" in out
    assert _loaded(modules, ("sessionforge.cli._digest", "sessionforge.storage.session")) == []


def test_a_command_imports_only_its_own_module() -> None:
    modules, out = _imported(["demo", "--help"], {})
    assert "--turns" in out
    assert "sessionforge.cli.demo" in modules
    assert _loaded(modules, tuple(m for m in OTHER_COMMANDS if m != "sessionforge.cli.demo")) == []
    assert "sessionforge.cli.sessions" not in modules


@pytest.mark.parametrize(("given", "kept"), [(None, "__all__"), ("some_plugin", "some_plugin")])
def test_the_program_loads_no_pydantic_plugin_unless_told(given: str | None, kept: str) -> None:
    """Looking for pydantic plugins reads every installed distribution's entry points; the program
    turns them off as typer does for its own adapters, and keeps what the user set."""
    code = (
        "import os, sys\n"
        "sys.argv = ['sessionforge', '--version']\n"
        "from sessionforge.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(os.environ.get('PYDANTIC_DISABLE_PLUGINS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == kept
