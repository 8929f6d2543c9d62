"""``sessionforge inspect``: browse the store's sessions in a local web page."""

from __future__ import annotations

import typer

from ._common import STORE_OPTION, console, friendly, open_cli_store, store_label

__all__ = ["inspect"]


@friendly
def inspect(
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (0: any free port)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Only print the URL."),
    store_url: str | None = STORE_OPTION,
) -> None:
    """Serve a local page listing sessions (with forks and segments), their conversations, and
    charts of tokens per turn and cumulative cost. Ctrl-C stops it."""
    import webbrowser

    from ._inspector import InspectorServer

    server = InspectorServer(open_cli_store(store_url), port)
    console.print(f"inspecting {store_label(store_url)} at [bold]{server.url}[/] (Ctrl-C to stop)")
    if not no_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        server.close()
