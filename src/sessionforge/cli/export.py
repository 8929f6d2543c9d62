"""``sessions export``: our versioned JSON Lines, or the message lists OpenAI or Anthropic accept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import SessionNotFound, StorageError, UsageError
from ._common import NAMESPACE_OPTION, STORE_OPTION, StoreSpec, closing, console, counted, friendly, run, warn

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = ["export"]

FORMATS = ("jsonl", "openai", "anthropic")


async def _render(session_id: str, store: Store, fmt: str, inline_forks: bool) -> str:
    from ..core.projection import transcript
    from ..interop.portable import export_session
    from ..storage.session import Session

    if fmt == "jsonl":
        return await export_session(session_id, store, inline_forks=inline_forks)
    session = await Session.load(session_id, store)
    if session is None:
        raise SessionNotFound(session_id)
    from ..providers.types import ChatRequest

    model = str(session.metadata.properties.get("model") or "export")
    request = ChatRequest(model=model, messages=transcript(session))
    if fmt == "openai":
        from ..providers.openai import to_wire as openai_wire

        body: dict[str, Any] = {"messages": openai_wire(request)["messages"]}
    else:
        from ..providers.anthropic import to_wire as anthropic_wire

        wire = anthropic_wire(request)
        body = {"system": wire.get("system"), "messages": wire["messages"]}
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


@friendly
def export(
    session_ids: Annotated[
        list[str] | None, typer.Argument(help="Sessions to export (with --all: every session).")
    ] = None,
    all_sessions: bool = typer.Option(False, "--all", help="Export every session of the namespace."),
    fmt: str = typer.Option(
        "jsonl", "--format", "-f", help="jsonl (lossless), openai or anthropic (messages)."
    ),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="A file (one session; - for stdout) or a directory."),
    ] = None,
    inline_forks: bool = typer.Option(False, "--inline-forks", help="Write forks self-contained."),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """Export sessions; with --all, a session that cannot be read is skipped with a warning."""
    from ._progress import progress_bar

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use jsonl, openai or anthropic")
    if session_ids and all_sessions:
        raise UsageError("name sessions or pass --all, not both")
    if output is not None and str(output) == "-":  # the usual name of stdout, as for tar or curl
        if all_sessions or len(session_ids or []) > 1:
            raise UsageError("several sessions go to a directory: --output DIRECTORY, not -")
        output = None
    store = StoreSpec(store_url, namespace, create=False).open()
    to_directory = output is not None and output.is_dir()

    async def work() -> None:
        import asyncio

        ids = list(session_ids or [])
        if all_sessions:
            ids = await store.list_sessions()
        elif not ids:
            raise UsageError("name the sessions to export, or pass --all")
        if len(ids) == 1 and not to_directory and not all_sessions:
            text = await _render(ids[0], store, fmt, inline_forks)
            if output is None:
                console.file.write(text)
            else:
                await asyncio.to_thread(output.write_text, text, encoding="utf-8")
                console.print(f"exported {ids[0]} to {output}")
            return
        if output is None:
            what = "--all" if all_sessions else "exporting several sessions"
            raise UsageError(f"{what} needs --output DIRECTORY")
        await asyncio.to_thread(output.mkdir, parents=True, exist_ok=True)
        suffix = ".jsonl" if fmt == "jsonl" else f".{fmt}.json"
        written, skipped = 0, []
        with progress_bar() as bar:
            task = bar.add_task("exporting", total=len(ids), current="")
            for session_id in ids:
                try:
                    text = await _render(session_id, store, fmt, inline_forks)
                except (StorageError, UsageError) as exc:
                    if not all_sessions:
                        raise
                    skipped.append((session_id, " ".join(str(exc).split())))
                else:
                    path = output / f"{session_id}{suffix}"
                    await asyncio.to_thread(path.write_text, text, encoding="utf-8")
                    written += 1
                bar.update(task, advance=1, current=session_id)
        for session_id, reason in skipped:
            warn(f"skipped {session_id}, which cannot be read: {reason}")
        none = f" (namespace {namespace} holds none)" if not ids else ""
        console.print(f"exported {counted(written, 'session')} to {output}{none}")

    run(closing(store, work()))
