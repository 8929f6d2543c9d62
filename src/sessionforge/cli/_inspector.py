"""The web inspector's server: two JSON endpoints and one self-contained page, on 127.0.0.1 only.

The page has no external resources (it works offline) and draws its chart with its own inline SVG.
Session content is rendered with ``textContent`` only, and the Content-Security-Policy allows no
script but the page's own (by nonce), so a message containing markup stays text.

Store calls run on one event loop in a background thread: async store clients (Redis, PostgreSQL)
are bound to the loop that created them, and the HTTP handler threads must all share it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
from collections.abc import Coroutine
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from ..errors import SessionforgeError, SessionNotFound
from ..storage.base import Store
from ._digest import digest, overview

__all__ = ["InspectorServer"]

T = TypeVar("T")


def _page(nonce: str) -> bytes:
    template = resources.files(__package__).joinpath("inspector.html").read_text(encoding="utf-8")
    return template.replace("{{NONCE}}", nonce).encode("utf-8")


class InspectorServer(ThreadingHTTPServer):
    """Serves one store. ``serve_forever()`` blocks; :meth:`close` stops it and closes the store."""

    daemon_threads = True

    def __init__(self, store: Store, port: int = 0, host: str = "127.0.0.1") -> None:
        super().__init__((host, port), _Handler)
        self.store = store
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(
            target=self.loop.run_forever, name="inspector-store", daemon=True
        )
        self._loop_thread.start()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._serving = True
        super().serve_forever(poll_interval)

    def close(self) -> None:
        if getattr(self, "_serving", False):
            self.shutdown()  # waits for serve_forever to return; it would wait forever if never started
        self.server_close()
        try:
            self.call(self.store.aclose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._loop_thread.join(timeout=5)
            self.loop.close()


class _Handler(BaseHTTPRequestHandler):
    server: InspectorServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the URL, not every request."""

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, default=str).encode("utf-8"), "application/json; charset=utf-8")

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        try:
            if path in {"/", "/index.html"}:
                nonce = secrets.token_urlsafe(16)
                csp = (
                    f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
                    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
                )
                self._send(
                    HTTPStatus.OK, _page(nonce), "text/html; charset=utf-8", {"Content-Security-Policy": csp}
                )
            elif path == "/api/sessions":
                self._json(HTTPStatus.OK, self.server.call(overview(self.server.store)))
            elif path.startswith("/api/sessions/"):
                session_id = unquote(path[len("/api/sessions/") :])
                self._json(HTTPStatus.OK, self.server.call(digest(session_id, self.server.store)))
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})
        except SessionNotFound as exc:
            self._json(HTTPStatus.NOT_FOUND, {"error": str(exc)})
        except SessionforgeError as exc:
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})
