"""The ``sessionforge`` command line. Each command group lives in its own module."""

from __future__ import annotations

import typer

from . import chat, demo, inspect, sessions, transfer

app = typer.Typer(
    name="sessionforge",
    help="Conversation sessions for LLM applications.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("chat")(chat.chat)
app.add_typer(sessions.app, name="sessions")
app.command("import")(transfer.import_command)
app.command("migrate")(transfer.migrate_command)
app.command("inspect")(inspect.inspect)
app.command("demo")(demo.demo)


@app.callback()
def _root() -> None:
    """Conversation sessions for LLM applications."""


def main() -> None:
    app()
