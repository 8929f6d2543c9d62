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

from ..errors import ConfigurationError, ProviderError, SessionforgeError, SessionNotFound, UsageError
from ._common import NAMESPACE_OPTION, STORE_OPTION, StoreSpec, console, err_console, friendly

if TYPE_CHECKING:  # the chat's machinery is imported when a chat starts, not for ``--help``
    from ..faces.agent import ChatAgent
    from ..faces.chat_session import ChatSession
    from ..providers.base import ChatResponse
    from ..storage.base import Store

__all__ = ["chat"]

HELP = "/stats  /compact  /clear  /provider NAME  /model NAME  /fork  /quit"

_PYTHON_TO_CLI = (
    ("pass api_key=", "pass --api-key"),
    ("api_key=", "--api-key"),
    ("with base_url=", "with --base-url"),
    ("base_url=", "--base-url"),
    ("provider='openai'", "--provider openai"),
    ("pass model=", "pass --model"),
)


def _in_cli_terms(exc: SessionforgeError) -> SessionforgeError:
    """The library names its arguments; a shell user needs the flags. Same class, same chain."""
    text = str(exc)
    for python, flag in _PYTHON_TO_CLI:
        text = text.replace(python, flag)
    if text == str(exc):
        return exc
    if isinstance(exc, ProviderError):
        return type(exc)(text, provider=exc.provider, status=exc.status, body=exc.body)
    try:
        return type(exc)(text)
    except TypeError:
        return ConfigurationError(text)


class ChatLoop:
    """One chat: the agent, the session, and what each typed line does."""

    def __init__(
        self,
        store: Store,
        session: ChatSession,
        provider: str,
        model: str | None,
        max_output: int | None,
        credentials: tuple[str | None, str | None] = (None, None),
    ) -> None:
        from ._digest import usage_rows

        self.store = store
        self.session = session
        self.max_output = max_output
        self.credentials = credentials
        self.stored = False  # whether this session is in the store (resumed, or saved once)
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

        api_key, base_url = self.credentials
        try:
            return ChatAgent(
                provider=provider,
                model=model,
                api_key=api_key,
                base_url=base_url,
                max_output_tokens=self.max_output,
            )
        except SessionforgeError as exc:
            raise _in_cli_terms(exc) from exc

    def save(self) -> None:
        """Save, unless nothing was ever said: a chat whose first turn failed leaves no session."""
        if not self.stored and not any(m.role != "system" for m in self.session.history):
            return
        self.session.save(self.store)
        self.stored = True

    # ---- a turn -----------------------------------------------------------------------------------

    def turn(self, text: str) -> None:
        """Stream one reply, record its usage with the session, save."""
        console.print(f"[bold cyan]you>[/] {escape(text)}")
        console.print("[bold green]assistant>[/] ", end="")
        try:
            for chunk in self.agent.stream_chat(text, session=self.session):
                console.print(chunk, end="", markup=False)
        except SessionforgeError as exc:
            raise _in_cli_terms(exc) from exc
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
        elif name == "model" and arg and self.agent.provider.name == "local":
            from ..providers.local import MODEL_NAME as LOCAL_MODEL

            console.print(
                f"[yellow]the local provider runs only {LOCAL_MODEL}; /provider NAME to talk to another[/]"
            )
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
) -> tuple[ChatSession, bool]:
    """The session to chat in, and whether it was resumed from the store."""
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
            return session, True
    fresh = ChatSession(system_prompt=system, max_tokens=budget, compactor=compactor, session_id=session_id)
    return fresh, False


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
    max_output: int | None = typer.Option(
        None, "--max-output-tokens", "--max-tokens", min=1, help="Longest reply, in tokens."
    ),
    budget: int | None = typer.Option(
        None, "--budget", min=1, help="Token budget of the session (compacts past it)."
    ),
    system: str | None = typer.Option(None, "--system", help="System prompt of a new session."),
    api_key: str | None = typer.Option(
        None, "--api-key", help="The provider's API key (default: OPENAI_API_KEY, ANTHROPIC_API_KEY...)."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="An OpenAI- or Anthropic-compatible endpoint (default: *_BASE_URL)."
    ),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """Chat with a model; the session is saved after every turn."""
    spec = StoreSpec(store_url, namespace)
    store = spec.open()
    session, resumed = _open_session(store, session_id, system, budget)
    loop = ChatLoop(store, session, provider, model, max_output, (api_key, base_url))
    loop.stored = resumed
    console.print(
        f"[dim]session {session.session_id} | {loop.agent.provider.name} / {escape(loop.agent.model)} | "
        f"store {escape(spec.label)}[/]"
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
            except (ProviderError, UsageError, ConfigurationError) as exc:
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
    if loop.stored:
        console.print(f"session {loop.session.session_id} saved ({len(loop.session.history)} messages)")
    else:
        console.print(f"nothing was said: session {loop.session.session_id} was not saved")
    if failed:
        raise typer.Exit(1)
