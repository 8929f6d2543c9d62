"""A small threaded HTTP server that records requests and fails on demand.

Each protocol subclass turns a request body into a JSON answer or a list of server-sent events. The
base class handles recording, authentication, forced failures (a status with a retry-after, or a delay
that outlasts the client's timeout) and the SSE framing.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD_KEY = "test-key"
"""Any key is accepted except ``bad-key``, which is answered with 401."""


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Failure:
    status: int | None = None
    delay: float = 0.0
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Answer:
    status: int = 200
    body: dict[str, Any] | None = None
    events: list[tuple[str | None, dict[str, Any] | str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class WireServer:
    """Base of the protocol servers: start on a free loopback port, record, fail on demand."""

    protocol = "base"

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.padding = 0
        """Extra words added to echo replies (reset by :meth:`reset`)."""
        self._failures: deque[Failure] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # ---- control -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> WireServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()
            self.padding = 0

    def fail_next(
        self,
        status: int | None = None,
        *,
        times: int = 1,
        delay: float = 0.0,
        kind: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (or only after ``delay`` seconds)."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["retry-after-ms"] = str(int(retry_after * 1000))
            headers["retry-after"] = str(max(1, int(retry_after)))
        body = self.error_body(status, kind) if status else None
        with self._lock:
            for _ in range(times):
                self._failures.append(Failure(status, delay, body, headers))

    @property
    def last_body(self) -> dict[str, Any]:
        return self.requests[-1].body

    # ---- protocol hooks --------------------------------------------------------------------------

    def answer(self, path: str, body: dict[str, Any]) -> Answer:
        raise NotImplementedError

    def error_body(self, status: int, kind: str | None) -> dict[str, Any]:
        raise NotImplementedError

    def api_key(self, headers: dict[str, str]) -> str | None:
        raise NotImplementedError

    # ---- HTTP ------------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Recorded(handler.path, headers, body))
            failure = self._failures.popleft() if self._failures else None
        if failure is not None and failure.delay:
            time.sleep(failure.delay)
        if failure is not None and failure.status:
            self._send_json(handler, failure.status, failure.body or {}, failure.headers)
            return
        if self.api_key(headers) == "bad-key":
            self._send_json(handler, 401, self.error_body(401, None))
            return
        answer = self.answer(handler.path.split("?", 1)[0], body)
        if answer.events is None:
            self._send_json(handler, answer.status, answer.body or {}, answer.headers)
        else:
            self._send_events(handler, answer.events)

    @staticmethod
    def _send_json(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _send_events(
        handler: BaseHTTPRequestHandler, events: list[tuple[str | None, dict[str, Any] | str]]
    ) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("cache-control", "no-cache")
        handler.end_headers()
        for name, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            frame = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
            handler.wfile.write(frame.encode())
            handler.wfile.flush()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
