"""``sessionforge chat``: talk to any provider in a session that is saved after every turn.

Each turn streams the reply, then prints its tokens and cost and the session's running totals. The
session is saved after each turn (and after each slash command that changes it), so an interrupted
chat loses at most the turn in flight and ``--session ID`` picks it up again. ``--script FILE`` feeds
the lines of a file (``-`` for stdin) as if typed, which is how the demo and the tests drive it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ..errors import ProviderError, SessionforgeError, SessionNotFound, UsageError
from ._common import STORE_OPTION, console, err_console, friendly, open_cli_store, store_label

if TYPE_CHECKING:
    from ..faces.agent import ChatAgent
    from ..faces.chat_session import ChatSession
    from ..providers.base import ChatResponse
    from ..storage.base import Store

__all__ = ["chat"]

HELP = "/stats  /compact  /clear  /provider NAME  /model NAME  /fork  /quit"


class ChatLoop:
    """One chat: the agent, the session, and what each typed line does."""

    def __init__(
        self, store: Store, session: ChatSession, provider: str, model: str | None, max_output: int | None
    ) -> None:
        self.store = store
        self.session = session
        from ._digest import usage_rows

        self.max_output = max_output
        self.agent = self._agent(provider, model)
        # Running totals: from the usage the stored replies carry, once; then one turn at a time.
        history = session.history
        calls = usage_rows(history)
        self.turn_count = sum(1 for m in history if m.role == "user")
        self.prompt_tokens = sum(c["prompt_tokens"] for c in calls)
        self.completion_tokens = sum(c["completion_tokens"] for c in calls)
        self.cost_usd = sum(c["cost_usd"] or 0.0 for c in calls)

    def _agent(self, provider: str, model: str | None) -> ChatAgent:
        from ..faces.agent import ChatAgent

        return ChatAgent(provider=provider, model=model, max_output_tokens=self.max_output)

    def save(self) -> None:
        self.session.save(self.store)

    # ---- a turn -----------------------------------------------------------------------------------

    def turn(self, text: str) -> None:
        """Stream one reply, record its usage with the session, save."""
        console.print(f"[bold cyan]you>[/] {escape(text)}")
        console.print("[bold green]assistant>[/] ", end="")
        for chunk in self.agent.stream_chat(text, session=self.session):
            console.print(chunk, end="", markup=False)
        console.print()
        response = self.agent.last_response
        assert response is not None
        self._record(response)
        self.save()

    def _record(self, response: ChatResponse) -> None:
        """Print the turn's usage and the session's totals (the usage itself travels with the replies)."""
        usage = response.usage  # every model call of the turn, tool rounds included
        self.turn_count += 1
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.cost_usd += usage.estimated_cost_usd or 0.0
        total_tokens = self.prompt_tokens + self.completion_tokens
        total_cost = self.cost_usd
        cost = (
            "n/a (unpriced model)" if usage.estimated_cost_usd is None else f"${usage.estimated_cost_usd:.6f}"
        )
        console.print(
            f"[dim]turn {self.turn_count}: {usage.prompt_tokens} prompt + {usage.completion_tokens} "
            f"completion = {usage.total_tokens} tokens ({usage.accuracy}), cost {cost} | session: "
            f"{total_tokens} tokens, ${total_cost:.6f}, {len(self.session.messages)} messages in view[/]"
        )

    # ---- slash commands ---------------------------------------------------------------------------

    def command(self, line: str) -> bool:
        """Run a slash command; ``False`` means stop."""
        name, _, arg = line[1:].strip().partition(" ")
        arg = arg.strip()
        if name in {"quit", "exit", "q"}:
            return False
        if name == "stats":
            self.stats()
        elif name == "compact":
            self.compact()
        elif name == "clear":
            self.session.clear()
            self.save()
            console.print("[yellow]view cleared (the stored history keeps every message)[/]")
        elif name in {"provider", "model"} and arg:
            provider = arg if name == "provider" else self.agent.provider.name
            model = arg if name == "model" else None
            self.agent.close()
            self.agent = self._agent(provider, model)
            console.print(
                f"[yellow]now talking to {self.agent.provider.name} / {escape(self.agent.model)}[/]"
            )
        elif name == "fork":
            parent = self.session.session_id
            self.session = self.session.fork()
            console.print(f"[yellow]forked {parent} -> {self.session.session_id}; continuing in the fork[/]")
        else:
            console.print(f"[yellow]commands: {HELP}[/]")
        return True

    def stats(self) -> None:
        from rich.table import Table

        table = Table(title=f"session {self.session.session_id}")
        table.add_column("measure")
        table.add_column("value", justify="right")
        rows = [
            ("provider / model", f"{self.agent.provider.name} / {self.agent.model}"),
            ("messages in view / stored", f"{len(self.session.messages)} / {len(self.session.history)}"),
            ("tokens in view", f"{self.session.estimate_tokens()} ({self.session.token_accuracy})"),
            ("turns", str(self.turn_count)),
            ("prompt tokens", str(self.prompt_tokens)),
            ("completion tokens", str(self.completion_tokens)),
            ("cost (USD)", f"{self.cost_usd:.6f}"),
            ("compactions", str(len(self.session.compactions))),
        ]
        for measure, value in rows:
            table.add_row(measure, escape(value))
        console.print(table)

    def compact(self) -> None:
        """Halve the view (or fit the session's budget) by truncation; the history keeps everything."""
        target = self.session.effective_limit or max(1, self.session.estimate_tokens() // 2)
        with console.status("compacting..."):
            report = self.session.compact(target)
        self.save()
        console.print(
            f"[yellow]compacted {report.before_tokens} -> {report.after_tokens} tokens, "
            f"{len(report.dropped)} messages left the view[/]"
        )


def _lines(script: str) -> Iterator[str]:
    source = sys.stdin.read() if script == "-" else Path(script).read_text(encoding="utf-8")
    for raw in source.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line


def _interactive() -> Iterator[str]:
    while True:
        try:
            line = console.input("[bold cyan]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if line:
            yield line


def _open_session(
    store: Store, session_id: str | None, system: str | None, budget: int | None
) -> ChatSession:
    from ..context.compactors import TruncateCompactor
    from ..faces.chat_session import ChatSession

    compactor = TruncateCompactor() if budget else None
    if session_id is not None:
        try:
            session = ChatSession.load(session_id, store, compactor=compactor)
        except SessionNotFound:
            pass
        else:
            if budget:
                session.max_tokens = budget
            console.print(f"[dim]resumed session {session_id}: {len(session.history)} stored messages[/]")
            return session
    return ChatSession(system_prompt=system, max_tokens=budget, compactor=compactor, session_id=session_id)


@friendly
def chat(
    provider: str = typer.Option("local", "--provider", "-p", help="openai, anthropic, local, ollama, ..."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name (default: the provider's)."),
    session_id: str | None = typer.Option(
        None, "--session", "-s", help="Resume this session, or start a new one under this id."
    ),
    script: str | None = typer.Option(
        None, "--script", help="Run the lines of FILE (- for stdin), then exit."
    ),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Longest reply, in tokens."),
    budget: int | None = typer.Option(
        None, "--budget", help="Token budget of the session (compacts past it)."
    ),
    system: str | None = typer.Option(None, "--system", help="System prompt of a new session."),
    store_url: str | None = STORE_OPTION,
) -> None:
    """Chat with a model; the session is saved after every turn."""
    store = open_cli_store(store_url)
    session = _open_session(store, session_id, system, budget)
    loop = ChatLoop(store, session, provider, model, max_tokens)
    console.print(
        f"[dim]session {session.session_id} | {loop.agent.provider.name} / {escape(loop.agent.model)} | "
        f"store {escape(store_label(store_url))}[/]"
    )
    if script is None:
        console.print(f"[dim]{HELP}[/]")
    failed = False
    try:
        for line in _lines(script) if script is not None else _interactive():
            if line.startswith("/"):
                try:
                    if not loop.command(line):
                        break
                except SessionforgeError as exc:
                    err_console.print(f"[red]{escape(line.split()[0])} failed:[/] {escape(str(exc))}")
                continue
            try:
                loop.turn(line)
            except (ProviderError, UsageError) as exc:
                console.print()
                err_console.print(f"[red]turn failed, session unchanged:[/] {escape(str(exc))}")
                failed = True
                if script is not None:
                    break
    finally:
        try:
            loop.save()
        except SessionforgeError as exc:
            err_console.print(f"[red]could not save:[/] {escape(str(exc))}")
            failed = True
        loop.agent.close()
    console.print(f"session {loop.session.session_id} saved ({len(loop.session.history)} messages)")
    if failed:
        raise typer.Exit(1)
