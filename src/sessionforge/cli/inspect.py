"""``sessionforge inspect``: browse the store's sessions in a local web page."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import typer

from ._common import NAMESPACE_OPTION, STORE_OPTION, StoreSpec, console, friendly

if TYPE_CHECKING:  # the inspector (its catalog, the session digests) loads when it is started
    from .inspector import Catalog

__all__ = ["inspect"]


def catalog_for(spec: StoreSpec) -> Catalog:
    """A catalog of every namespace of the store ``spec`` names."""
    from ._namespaces import list_namespaces
    from .inspector import Catalog

    catalog: Catalog

    async def namespaces() -> list[str]:
        return await list_namespaces(spec, catalog.store(spec.namespace))

    catalog = Catalog(spec.open, namespaces, spec.namespace)
    return catalog


@friendly
def inspect(
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Only print the URL."),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """Serve a local page: sessions with their forks and segments, search, conversations with
    timestamps and latency, charts of tokens and cost, fork comparison, compactions. Ctrl-C stops it."""
    import webbrowser

    from .inspector import InspectorServer

    spec = StoreSpec(store_url, namespace, create=False)
    spec.check()
    server = InspectorServer(catalog_for(spec), port)
    console.print(f"inspecting {spec.label} at [bold]{server.url}[/] (Ctrl-C to stop)", soft_wrap=True)
    if not no_browser:
        webbrowser.open(server.url)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    console.print("stopped")
