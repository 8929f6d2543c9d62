"""The ``sessionforge`` command line. Each command group lives in its own module.

Every command takes ``--store`` and ``--namespace``; a failure prints one line (what went wrong and
what to do) and exits non-zero, and ``sessionforge --debug ...`` shows the traceback instead.
"""

from __future__ import annotations

import typer

from .._meta import get_version
from . import chat, demo, inspect, sessions, transfer
from ._common import console, set_debug

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


def main() -> None:
    app()
