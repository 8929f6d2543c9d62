"""``sessionforge sessions ...``: list, show, export, delete, fork and account for stored sessions."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ..errors import SessionNotFound, UsageError
from ._common import STORE_OPTION, console, friendly, open_cli_store, run

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = ["app"]

app = typer.Typer(
    help="List, show, export, delete, fork and account for stored sessions.", no_args_is_help=True
)

ROLE_STYLE = {
    "user": "cyan",
    "assistant": "green",
    "system": "magenta",
    "tool": "yellow",
    "summary": "blue",
    "compaction": "blue",
}


def _cost(value: float | None) -> str:
    return "-" if value is None else f"{value:.6f}"


@app.command("list")
@friendly
def list_sessions(
    count: int = typer.Option(50, "-n", "--count", help="Show at most this many (0: all)."),
    prefix: str = typer.Option("", "--prefix", help="Only ids starting with this."),
    as_json: bool = typer.Option(False, "--json", help="One JSON array instead of a table."),
    store_url: str | None = STORE_OPTION,
) -> None:
    """Stored sessions, most recently updated first."""
    from rich.table import Table

    from ._digest import overview

    store = open_cli_store(store_url)
    rows = run(_closing(store, overview(store, prefix)))
    rows = rows[:count] if count else rows
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} sessions")
    for column, justify in [
        ("id", "left"),
        ("kind", "left"),
        ("updated", "left"),
        ("messages", "right"),
        ("turns", "right"),
        ("tokens", "right"),
        ("cost (USD)", "right"),
        ("model", "left"),
    ]:
        table.add_column(column, justify=justify, no_wrap=column in {"id", "updated"})  # type: ignore[arg-type]
    for row in rows:
        kind = row["kind"]
        if row["fork_of"]:
            kind += f" of {row['fork_of']['session_id'][:8]}"
        elif row["parent_id"]:
            kind += f" of {row['parent_id'][:8]}"
        table.add_row(
            row["id"],
            kind,
            row["updated_at"][:19].replace("T", " "),
            str(row["messages"]),
            str(row["turns"]),
            str(row["total_tokens"]),
            _cost(row["cost_usd"]),
            escape(", ".join(row["models"])),
        )
    console.print(table)


async def _closing(store: Store, coro: Any) -> Any:
    try:
        return await coro
    finally:
        await store.aclose()


@app.command("show")
@friendly
def show(
    session_id: str = typer.Argument(..., help="The session's id."),
    as_json: bool = typer.Option(False, "--json", help="The whole digest as JSON."),
    store_url: str | None = STORE_OPTION,
) -> None:
    """A session's conversation (roles, tool calls, summaries) and its tokens and cost per turn."""
    from rich.table import Table

    from ._digest import digest

    store = open_cli_store(store_url)
    data = run(_closing(store, digest(session_id, store)))
    if as_json:
        console.print_json(json.dumps(data, default=str))
        return
    console.rule(f"session {escape(data['id'])} ({data['kind']})")
    if data["fork_of"]:
        console.print(f"forked from {data['fork_of']['session_id']} at record {data['fork_of']['seq']}")
    if data["parent_id"]:
        console.print(f"parent: {data['parent_id']}")
    for label, ids in (("children", data["child_ids"]), ("forks", data["branches"])):
        if ids:
            console.print(f"{label}: {', '.join(ids)}")
    for entry in data["entries"]:
        role = entry["role"]
        style = ROLE_STYLE.get(role, "white")
        head = f"[bold {style}]{role}[/]"
        if entry.get("name"):
            head += f" ({escape(str(entry['name']))})"
        if entry["kind"] == "compaction":
            head += (
                f" {entry['action']}: {entry['before_tokens']} -> {entry['after_tokens']} tokens, "
                f"{entry['dropped']} messages left the view"
            )
        console.print(f"{head}: {escape(entry['text'])}" if entry["text"] else head)
        for call in entry.get("tool_calls") or []:
            console.print(
                f"    [yellow]calls {escape(call['name'])}[/]({escape(json.dumps(call['arguments']))})"
            )
    if data["usage"]:
        table = Table(title="tokens and cost per turn")
        for column in ("turn", "prompt", "completion", "total", "cost (USD)", "cumulative (USD)", "model"):
            table.add_column(
                column, justify="left" if column == "model" else "right", no_wrap=column == "model"
            )
        for turn in data["usage"]:
            table.add_row(
                str(turn["turn"]),
                str(turn["prompt_tokens"]),
                str(turn["completion_tokens"]),
                str(turn["total_tokens"]),
                _cost(turn["cost_usd"]),
                _cost(turn["cumulative_cost_usd"]),
                escape(turn["model"]),
            )
        console.print(table)


@app.command("stats")
@friendly
def stats(
    session_id: str | None = typer.Argument(None, help="One session (default: the whole store)."),
    store_url: str | None = STORE_OPTION,
) -> None:
    """Tokens and cost per model, for one session or the whole store."""
    from rich.table import Table

    from ._digest import digest

    store = open_cli_store(store_url)

    async def gather() -> list[dict[str, Any]]:
        ids = [session_id] if session_id else await store.list_sessions()
        return [await digest(i, store) for i in ids]

    digests = run(_closing(store, gather()))
    by_model: dict[str, dict[str, float]] = {}
    for data in digests:
        for turn in data["usage"]:
            row = by_model.setdefault(
                turn["model"] or "unknown", {"turns": 0, "prompt": 0, "completion": 0, "cost": 0.0}
            )
            row["turns"] += 1
            row["prompt"] += turn["prompt_tokens"]
            row["completion"] += turn["completion_tokens"]
            row["cost"] += turn["cost_usd"] or 0.0
    title = f"session {session_id}" if session_id else f"{len(digests)} sessions"
    messages = sum(d["messages"] for d in digests)
    table = Table(title=f"{title}: {messages} messages")
    for column in ("model", "turns", "prompt tokens", "completion tokens", "total tokens", "cost (USD)"):
        table.add_column(column, justify="left" if column == "model" else "right", no_wrap=column == "model")
    for model, row in sorted(by_model.items()):
        table.add_row(
            escape(model),
            str(int(row["turns"])),
            str(int(row["prompt"])),
            str(int(row["completion"])),
            str(int(row["prompt"] + row["completion"])),
            f"{row['cost']:.6f}",
        )
    total = {k: sum(r[k] for r in by_model.values()) for k in ("turns", "prompt", "completion", "cost")}
    table.add_row(
        "[bold]total[/]",
        str(int(total["turns"])),
        str(int(total["prompt"])),
        str(int(total["completion"])),
        str(int(total["prompt"] + total["completion"])),
        f"{total['cost']:.6f}",
    )
    console.print(table)


@app.command("delete")
@friendly
def delete(
    session_ids: Annotated[list[str], typer.Argument(help="The sessions to delete.")],
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    store_url: str | None = STORE_OPTION,
) -> None:
    """Delete sessions and their logs (a fork of a deleted session loses its shared history)."""
    if not yes:
        typer.confirm(f"delete {len(session_ids)} session(s)?", abort=True)
    store = open_cli_store(store_url)

    async def remove() -> list[str]:
        return [i for i in session_ids if not await store.delete(i)]

    missing = run(_closing(store, remove()))
    for session_id in session_ids:
        if session_id not in missing:
            console.print(f"deleted {session_id}")
    if missing:
        raise SessionNotFound(missing[0], f"no session {', '.join(missing)} in the store")


@app.command("fork")
@friendly
def fork(
    session_id: str = typer.Argument(..., help="The session to fork."),
    at: str | None = typer.Option(
        None, "--at", help="A record seq or event id to fork after (default: the end)."
    ),
    new_id: str | None = typer.Option(None, "--id", help="Id of the fork (default: a new UUID)."),
    store_url: str | None = STORE_OPTION,
) -> None:
    """Fork a session: the fork shares the history up to --at, without copying it."""
    from ..storage.forks import fork as fork_session

    store = open_cli_store(store_url)
    position: str | int | None = int(at) if at is not None and at.isdigit() else at
    child = run(_closing(store, fork_session(session_id, at=position, store=store, new_session_id=new_id)))
    console.print(child)


async def _render(session_id: str, store: Store, fmt: str, inline_forks: bool) -> str:
    from ..core.projection import transcript
    from ..interop.portable import export_session
    from ..storage.session import Session

    if fmt == "jsonl":
        return await export_session(session_id, store, inline_forks=inline_forks)
    session = await Session.load(session_id, store)
    if session is None:
        raise SessionNotFound(session_id)
    messages = transcript(session)
    model = str(session.metadata.properties.get("model") or "export")
    if fmt == "openai":
        from ..providers.openai import to_wire as openai_wire

        body: dict[str, Any] = {"messages": openai_wire(messages, model=model)["messages"]}
    else:
        from ..providers.anthropic import to_wire as anthropic_wire

        wire = anthropic_wire(messages, model=model)
        body = {"system": wire.get("system"), "messages": wire["messages"]}
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


@app.command("summarize")
@friendly
def summarize_session(
    session_id: str = typer.Argument(..., help="The session to summarize."),
    strategy: str = typer.Option(
        "key_points", "--strategy", "-s", help="basic, key_points, topic_based or query_focused."
    ),
    summarizer_name: str = typer.Option(
        "extractive",
        "--with",
        help="extractive (instant, no model) or local (the embedded model: slow, abstractive).",
    ),
    chunk_tokens: int = typer.Option(
        1500, "--chunk-tokens", help="Transcript tokens per summarizer call (the summary rolls)."
    ),
    save: bool = typer.Option(
        False, "--save", help="Append the summary to the session as a SUMMARY event (nothing is removed)."
    ),
    store_url: str | None = STORE_OPTION,
) -> None:
    """Summarize a whole session, chunk by chunk, with a progress bar; optionally store the summary."""
    from ..context.chunked import summarize_in_chunks
    from ..context.summarize import SummarizationStrategy, extractive_summarizer, local_model_summarizer
    from ..core.events import EventSource, EventType, SessionEvent
    from ..core.projection import MARKS, transcript
    from ..core.tokens import counter_for_model
    from ..core.usage import TokenUsage
    from ..storage.session import Session
    from ._progress import progress_bar

    if strategy not in {s.value for s in SummarizationStrategy}:
        raise UsageError(
            f"unknown strategy {strategy!r}: use basic, key_points, topic_based or query_focused"
        )
    if summarizer_name not in {"extractive", "local"}:
        raise UsageError(f"unknown summarizer {summarizer_name!r}: use extractive or local")
    store = open_cli_store(store_url)

    async def work() -> None:
        session = await Session.load(session_id, store)
        if session is None:
            raise SessionNotFound(session_id)
        messages = [m for m in transcript(session) if m.role != "system"]
        if not messages:
            raise UsageError(f"session {session_id} has no conversation to summarize")
        counter = counter_for_model(str(session.metadata.properties.get("model") or "gpt-4o-mini"))
        summarizer = extractive_summarizer if summarizer_name == "extractive" else local_model_summarizer()
        with progress_bar() as bar:
            task = bar.add_task(f"summarizing ({summarizer_name})", total=None, current="")

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, current=f"chunk {done} of {total}")

            result = await summarize_in_chunks(
                messages,
                summarizer,
                counter=counter,
                strategy=strategy,
                chunk_tokens=chunk_tokens,
                on_chunk=advance,
            )
        console.print(escape(result.text))
        console.print(
            f"[dim]{len(messages)} messages in {result.chunks} chunks; {result.request_tokens} request "
            f"tokens ({counter.accuracy}), summary {counter.count_text(result.text)} tokens[/]"
        )
        if save:
            usage = TokenUsage(
                prompt_tokens=result.request_tokens if summarizer_name == "local" else 0,
                completion_tokens=counter.count_text(result.text),
                model=summarizer_name,
                estimated_cost_usd=0.0,  # both run in this process
                accuracy=counter.accuracy,
            )
            event = SessionEvent(
                source=EventSource.SYSTEM,
                type=EventType.SUMMARY,
                message=result.text,
                token_usage=usage,
                metadata={
                    "strategy": strategy,
                    "summarizer": summarizer_name,
                    "chunks": result.chunks,
                    MARKS: {"note": True},  # for reading: the model's view is unchanged
                },
            )
            await session.add_event_and_save(event)
            console.print(f"saved the summary to {session_id} as event {event.id}")

    run(_closing(store, work()))


@app.command("export")
@friendly
def export(
    session_ids: Annotated[
        list[str] | None, typer.Argument(help="Sessions to export (with --all: every session).")
    ] = None,
    all_sessions: bool = typer.Option(False, "--all", help="Export every session of the store."),
    fmt: str = typer.Option(
        "jsonl", "--format", "-f", help="jsonl (lossless), openai or anthropic (messages)."
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="A file (one session) or a directory.")
    ] = None,
    inline_forks: bool = typer.Option(False, "--inline-forks", help="Write forks self-contained."),
    store_url: str | None = STORE_OPTION,
) -> None:
    """Export sessions: our versioned JSON Lines, or the message lists OpenAI or Anthropic accept."""
    from ._progress import progress_bar

    if fmt not in {"jsonl", "openai", "anthropic"}:
        raise UsageError(f"unknown format {fmt!r}: use jsonl, openai or anthropic")
    store = open_cli_store(store_url)
    to_directory = output is not None and output.is_dir()

    async def work() -> None:
        ids = list(session_ids or [])
        if all_sessions:
            ids = await store.list_sessions()
        if not ids:
            raise UsageError("name the sessions to export, or pass --all")
        if len(ids) == 1 and not to_directory:
            text = await _render(ids[0], store, fmt, inline_forks)
            if output is None:
                console.file.write(text)
            else:
                await asyncio.to_thread(output.write_text, text, encoding="utf-8")
                console.print(f"exported {ids[0]} to {output}")
            return
        if output is None:
            raise UsageError("exporting several sessions needs --output DIRECTORY")
        await asyncio.to_thread(output.mkdir, parents=True, exist_ok=True)
        suffix = ".jsonl" if fmt == "jsonl" else f".{fmt}.json"
        with progress_bar() as bar:
            task = bar.add_task("exporting", total=len(ids), current="")
            for session_id in ids:
                text = await _render(session_id, store, fmt, inline_forks)
                await asyncio.to_thread((output / f"{session_id}{suffix}").write_text, text, encoding="utf-8")
                bar.update(task, advance=1, current=session_id)
        console.print(f"exported {len(ids)} sessions to {output}")

    run(_closing(store, work()))
