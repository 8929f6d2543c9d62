"""``sessions delete`` and ``sessions fork``: the commands that change which sessions exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from ..errors import SessionNotFound, UsageError
from ._common import NAMESPACE_OPTION, STORE_OPTION, StoreSpec, closing, console, counted, friendly, run

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = ["delete", "fork"]


@friendly
def delete(
    session_ids: Annotated[list[str], typer.Argument(help="The sessions to delete.")],
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    cascade: bool = typer.Option(False, "--cascade", help="Delete the sessions' forks too."),
    detach: bool = typer.Option(
        False, "--detach", help="Give each fork its own copy of the history it shares, then delete."
    ),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """Delete sessions and their logs. A session with forks is refused unless --cascade or --detach
    says what becomes of the forks (asked on a terminal)."""
    from ..storage.forks import delete_session, live_forks

    if cascade and detach:
        raise UsageError("--cascade deletes the forks and --detach keeps them: choose one")
    spec = StoreSpec(store_url, namespace, create=False)  # deleting never creates a store
    store = spec.open()

    async def plan() -> tuple[list[str], dict[str, list[str]]]:
        missing = [i for i in session_ids if not await store.load(i, limit=1)]
        forks = {i: await live_forks(i, store) for i in session_ids if i not in missing}
        return missing, {k: v for k, v in forks.items() if v}

    try:
        missing, with_forks = run(plan())
    except BaseException:
        run(store.aclose())
        raise
    if missing:
        run(store.aclose())
        raise SessionNotFound(missing[0], f"no session {', '.join(missing)} in {spec.label}: nothing deleted")
    mode: Literal["refuse", "cascade", "detach"] = "cascade" if cascade else "detach" if detach else "refuse"
    if with_forks and mode == "refuse":
        named = "; ".join(f"{sid}: {', '.join(kids)}" for sid, kids in with_forks.items())
        if yes or not console.is_terminal:
            run(store.aclose())
            raise UsageError(
                f"these sessions have forks that share their history ({named}): pass --cascade to "
                "delete the forks too, or --detach to keep them with their own copy"
            )
        console.print(f"these sessions have forks that share their history: {named}")
        answer = typer.prompt("delete the forks too (cascade), keep them (detach), or stop?", default="stop")
        if answer not in {"cascade", "detach"}:
            run(store.aclose())
            raise typer.Exit(1)
        mode = "cascade" if answer == "cascade" else "detach"
    elif not yes:
        try:
            confirmed = typer.confirm(f"delete {counted(len(session_ids), 'session')}?")
        except typer.Abort:  # no answer at all: stdin is closed, as in a script or a cron job
            run(store.aclose())
            raise UsageError(
                "nothing deleted: no answer to the confirmation (pass -y to delete without asking)"
            ) from None
        if not confirmed:
            run(store.aclose())
            console.print("nothing deleted")
            raise typer.Exit(1)

    async def remove() -> list[str]:
        deleted: list[str] = []
        for session_id in session_ids:
            if session_id not in deleted:
                deleted += await delete_session(session_id, store, forks=mode)
        return deleted

    for session_id in run(closing(store, remove())):
        console.print(f"deleted {session_id}")
    if mode == "detach":
        for kids in with_forks.values():
            for kid in kids:
                console.print(f"detached {kid} (it now holds its whole history)")


def _position(at: str | None) -> str | int | None:
    return int(at) if at is not None and at.isdigit() else at


@friendly
def fork(
    session_id: str = typer.Argument(..., help="The session to fork."),
    at: str | None = typer.Option(
        None, "--at", help="A record seq or event id to fork after (default: the end)."
    ),
    new_id: str | None = typer.Option(None, "--id", help="Id of the fork (default: a new UUID)."),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """Fork a session: the fork shares the history up to --at, without copying it."""
    from ..storage.forks import fork as fork_session

    store: Store = StoreSpec(store_url, namespace, create=False).open()
    child = run(
        closing(store, fork_session(session_id, at=_position(at), store=store, new_session_id=new_id))
    )
    console.print(child)
