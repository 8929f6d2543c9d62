"""The ``sessionforge`` command line. Each command group lives in its own module.

Every command takes ``--store`` and ``--namespace``; a failure prints one line (what went wrong and
what to do) and exits non-zero, and ``sessionforge --debug ...`` shows the traceback instead.

A command module imports at its top only typer, rich and :mod:`._common`; the machinery a command
uses (models, stores, providers, faces) is imported in its body. Building the command tree for
``--help`` or an argument error then costs typer's and rich's imports alone, and each command pays
only for what it runs.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Any

import typer

from .._meta import get_version
from . import chat, demo, inspect, sessions, transfer
from ._common import console, debug_enabled, set_debug, warn

app = typer.Typer(
    name="sessionforge",
    help="Conversation sessions for LLM applications.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("chat")(chat.chat)
app.add_typer(sessions.app, name="sessions")
app.command("import")(transfer.import_command)
app.command("migrate")(transfer.migrate_command)
app.command("inspect")(inspect.inspect)
app.command("demo")(demo.demo)


def _version(value: bool) -> None:
    if value:
        console.print(f"sessionforge {get_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(
        False, "--debug", envvar="SESSIONFORGE_DEBUG", help="Show the traceback of a failure."
    ),
) -> None:
    """Conversation sessions for LLM applications."""
    set_debug(debug)


class _OneLine(logging.Handler):
    """Our library's warnings as ``warning: ...`` lines, like every other message of the CLI."""

    def emit(self, record: logging.LogRecord) -> None:
        warn(record.getMessage())


def _quiet_libraries(debug: bool) -> None:
    """Drivers log their retries (psycopg's pool, for one); the error line that follows already
    says what failed. With ``--debug`` every log record and Python warning is shown as it is."""
    if debug:
        logging.basicConfig(level=logging.DEBUG)
        return
    logging.getLogger().addHandler(logging.NullHandler())
    ours = logging.getLogger("sessionforge")
    if not any(isinstance(h, _OneLine) for h in ours.handlers):
        ours.addHandler(_OneLine(level=logging.WARNING))
    ours.propagate = False

    def show(
        message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        warn(str(message))

    warnings.showwarning = show


def main() -> None:
    """The ``sessionforge`` program (tests call ``app`` itself, which leaves logging alone)."""
    _quiet_libraries("--debug" in sys.argv[1:2] or debug_enabled())
    app()
