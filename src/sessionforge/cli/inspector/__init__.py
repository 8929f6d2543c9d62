"""The web inspector: a Starlette application served by uvicorn on 127.0.0.1.

:class:`InspectorServer` binds the socket first (so a port in use is a clear error before anything
starts), then serves until Ctrl-C (:meth:`serve_forever`) or in a background thread
(:meth:`start` / :meth:`stop`, what the tests use). Starlette, Jinja2 and uvicorn come with the
``inspect`` extra; importing sessionforge never imports them.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from typing import Any

from ..._optional import require
from ...errors import StoreUnavailableError
from .catalog import Catalog, Filters, SearchIndex

__all__ = ["Catalog", "Filters", "InspectorServer", "SearchIndex"]


class InspectorServer:
    """Serves one :class:`Catalog` on ``127.0.0.1:port`` (0: any free port)."""

    def __init__(self, catalog: Catalog, port: int = 0, token: str | None = None) -> None:
        uvicorn: Any = require("uvicorn", extra="inspect")
        require("starlette", extra="inspect")
        require("jinja2", extra="inspect")
        from .app import build_app

        self.token = token or secrets.token_urlsafe(24)
        self.app = build_app(catalog, self.token)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind(("127.0.0.1", port))
        except OSError:
            self._socket.close()
            raise
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The address to open: it carries the token."""
        return f"{self.base}/?token={self.token}"

    def serve_forever(self) -> None:
        """Serve until interrupted (uvicorn handles Ctrl-C and shuts down cleanly)."""
        self._server.run(sockets=[self._socket])

    def start(self, timeout: float = 30.0) -> None:
        """Serve in a background thread; return once the server answers."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="inspector", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise StoreUnavailableError("the inspector did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()
