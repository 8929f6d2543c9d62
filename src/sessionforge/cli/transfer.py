"""``sessionforge import`` and ``sessionforge migrate``: sessions into a store, and between stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ..errors import ConfigurationError, MessageFormatError, SessionforgeError, StorageError, UsageError
from ._common import NAMESPACE_OPTION, STORE_OPTION, StoreSpec, console, counted, friendly, run

if TYPE_CHECKING:  # the importers and the portable format load when a command runs
    from ..storage.base import Store

__all__ = ["import_command", "migrate_command"]

SQLITE_MAGIC = b"SQLite format 3\x00"
FORMATS = ("auto", "jsonl", "openai", "anthropic", "langchain", "openai-agents", "openai-agents-db")


def _detect(path: Path, text: str | None) -> str:
    """Guess a file's format from its first bytes; ``--format`` overrides the guess."""
    from ..interop.portable import FORMAT

    if text is None:
        return "openai-agents-db"
    head = text.lstrip()[:2000]
    if head.startswith("{") and f'"{FORMAT}"' in head.splitlines()[0]:
        return "jsonl"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MessageFormatError(
            f"{path}: not JSON Lines of {FORMAT} nor a JSON message list", field=None
        ) from exc
    items = data.get("messages") if isinstance(data, dict) else data
    if isinstance(data, dict) and "system" in data:
        return "anthropic"
    if isinstance(items, list) and items and isinstance(items[0], dict):
        first = items[0]
        if "type" in first and "data" in first:
            return "langchain"
        if "role" not in first or first.get("type") in {"message", "function_call", "function_call_output"}:
            return "openai-agents"
        if any(
            isinstance(i.get("content"), list)
            and any(
                isinstance(b, dict) and b.get("type") in {"tool_use", "tool_result"} for b in i["content"]
            )
            for i in items
            if isinstance(i, dict)
        ):
            return "anthropic"
    return "openai"


async def _check_parent(text: str, store: Store, path: Path) -> None:
    """A fork exported by reference reads its start from its parent: refuse it if the store does not
    hold that parent (it would import, then fail to load)."""
    try:
        header = json.loads(text.split("\n", 1)[0])
    except json.JSONDecodeError:
        return  # import_session reports the malformed header
    origin = header.get("fork_of") if isinstance(header, dict) else None
    if not isinstance(origin, dict):
        return
    parent, seq = str(origin.get("session_id")), int(origin.get("seq") or 0)
    if len(await store.load(parent, limit=seq)) < seq:
        raise UsageError(
            f"{path.name} is a fork of {parent!r}, which this store does not hold: import {parent} first, "
            "or export the fork with --inline-forks"
        )


def _messages_of(fmt: str, data: Any) -> Any:
    """The messages a document of format ``fmt`` holds. A document of none (an empty list, or items
    of which none is a message in that format, as a file read with the wrong ``--format``) is refused:
    importing it would store an empty session and report success."""
    from ..interop.importers import messages_from_document

    messages = messages_from_document(data, fmt)
    if not messages:
        items = data.get("messages") if isinstance(data, dict) else data
        held = len(items) if isinstance(items, list) else 0
        raise MessageFormatError(
            f"none of its {counted(held, 'item')} is a message" if held else "it holds no messages",
            field="messages",
        )
    return messages


async def _import_one(path: Path, fmt: str, store: Store, new_id: str | None) -> list[str]:
    import asyncio

    from ..interop.importers import import_messages, import_openai_agents_sqlite
    from ..interop.portable import import_session

    if fmt == "openai-agents-db":
        if new_id is not None:
            raise UsageError(
                f"{path.name} is an Agents SDK database, whose sessions keep their own ids: import it "
                "without --id"
            )
        return list((await import_openai_agents_sqlite(path, store)).values())
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MessageFormatError(
            f"{path} is not UTF-8 text; for an Agents SDK database use -f openai-agents-db", field=None
        ) from exc
    if fmt == "jsonl":
        await _check_parent(text, store, path)
        return [await import_session(text, store, new_id)]
    try:
        messages = _messages_of(fmt, json.loads(text))
    except SessionforgeError as exc:
        raise MessageFormatError(f"{path.name} is not a valid {fmt} message list: {exc}") from exc
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {exc}"
        raise MessageFormatError(
            f"{path.name} is not a valid {fmt} message list ({reason}); check the file or pass --format"
        ) from exc
    return [await import_messages(messages, store, new_id, metadata={"imported_from": f"{fmt}:{path.name}"})]


@friendly
def import_command(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Files to import.")],
    fmt: str = typer.Option("auto", "--format", "-f", help=f"One of {', '.join(FORMATS)}."),
    new_id: str | None = typer.Option(
        None, "--id", help="Session id to import under (one file; not for an Agents SDK database)."
    ),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """Import sessions: our JSON Lines exports, OpenAI/Anthropic/LangChain message lists, or an
    OpenAI Agents SDK SQLite database."""
    from ._progress import progress_bar

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if new_id is not None and len(files) > 1:
        raise UsageError("--id names one session: import one file at a time with it")
    store = StoreSpec(store_url, namespace).open()

    imported: list[str] = []  # filled as each file is stored, so a failure still reports them

    async def work() -> None:
        import asyncio

        try:
            with progress_bar() as bar:
                task = bar.add_task("importing", total=len(files), current="")
                for path in files:
                    kind = fmt
                    if fmt == "auto":
                        raw = await asyncio.to_thread(path.read_bytes)
                        kind = _detect(
                            path, None if raw.startswith(SQLITE_MAGIC) else raw.decode("utf-8", "replace")
                        )
                    imported.extend(await _import_one(path, kind, store, new_id))
                    bar.update(task, advance=1, current=path.name)
        finally:
            await store.aclose()

    try:
        run(work())
    finally:
        for session_id in imported:
            console.print(f"imported {session_id}")


@friendly
def migrate_command(
    from_url: str = typer.Option(..., "--from", help="Source store URL."),
    to_url: str = typer.Option(..., "--to", help="Target store URL."),
    namespace: str = NAMESPACE_OPTION,
    prefix: str = typer.Option("", "--prefix", help="Only sessions whose id starts with this."),
) -> None:
    """Copy every session from one store to another, then verify the target holds them all."""
    from ..interop.portable import migrate
    from ._progress import progress_bar

    if from_url == to_url:
        raise UsageError("--from and --to name the same store")
    source_spec = StoreSpec(from_url, namespace, create=False)
    target_spec = StoreSpec(to_url, namespace)

    async def work() -> tuple[int, int, list[str]]:
        source = source_spec.open()
        target = target_spec.open()
        try:
            total = len(await source.list_sessions(prefix))
            if not total:
                where = f" whose id starts with {prefix!r}" if prefix else ""
                raise ConfigurationError(
                    f"{from_url} holds no sessions{where} in namespace {namespace!r}: check --from, "
                    "--namespace and --prefix (nothing was migrated)"
                )
            with progress_bar() as bar:
                task = bar.add_task("migrating", total=total, current="")

                def advance(done: int, total: int, session_id: str) -> None:
                    bar.update(task, completed=done, total=total, current=session_id)

                report = await migrate(source, target, advance, namespace=namespace, prefix=prefix)
            missing = []
            for session_id in await source.list_sessions(prefix):
                if len(await target.load(session_id)) != len(await source.load(session_id)):
                    missing.append(session_id)
            if missing:
                raise StorageError(
                    f"after migrating, the target's record counts differ for: {', '.join(missing)}"
                )
            return report.sessions, report.records, report.skipped
        finally:
            await source.aclose()
            await target.aclose()

    sessions, records, skipped = run(work())
    console.print(
        f"migrated {counted(sessions, 'session')} ({counted(records, 'record')} copied, {len(skipped)} "
        "already present) "
        f"from {escape(from_url)} to {escape(to_url)}; record counts verified"
    )
