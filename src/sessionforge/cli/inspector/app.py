"""The inspector's web application (Starlette, Jinja2): one page, a JSON API, vendored assets.

Safety, for a server on the user's machine holding their conversations:
- only ``Host: 127.0.0.1`` / ``localhost`` is answered (a DNS-rebinding page gets 400);
- every request but the static assets needs the random token printed with the URL; the first
  request with ``?token=`` sets it as an HttpOnly, SameSite=Strict cookie, so deep links work after;
- the page allows no script but its own files (Content-Security-Policy), renders session content with
  ``textContent`` only, and loads nothing from the network (uPlot is vendored), so it works offline;
- a malformed id is answered 400 and an unknown one 404, never 500.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ...errors import SessionNotFound, StorageError, UsageError
from ...storage.base import check_session_id
from .catalog import Catalog, Filters

__all__ = ["ALLOWED_HOSTS", "TOKEN_COOKIE", "build_app"]

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
TOKEN_COOKIE = "sessionforge_inspector"
PAGE_MAX = 500
COMPARE_MAX = 500

_here = resources.files(__package__)
templates = Jinja2Templates(directory=str(_here / "templates"))

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


def _session_id(request: Request) -> str:
    try:
        return check_session_id(request.path_params["session_id"])
    except UsageError as exc:
        raise _BadRequest(str(exc)) from exc


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise _BadRequest(f"{name} must be a whole number, got {raw!r}") from exc
    if not low <= value <= high:
        raise _BadRequest(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise _BadRequest(f"{name} must be a number, got {raw!r}") from exc


def _date(request: Request, name: str) -> str | None:
    """A ``YYYY-MM-DD`` filter, as the page's date inputs send it. Anything else is refused: compared
    as text with the sessions' dates, it would quietly match none or all of them."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError as exc:
        raise _BadRequest(f"{name} must be a date as YYYY-MM-DD, got {raw!r}") from exc


class _BadRequest(Exception):
    pass


def _same(entry: dict[str, Any]) -> str:
    """What makes two sessions' entries the same one: the event id; for the system prompt (a
    setting of each session, not an event) its text."""
    return "system:" + entry["text"] if str(entry["id"]).endswith("#system") else str(entry["id"])


def _entry_page(entries: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    return {
        "offset": offset,
        "limit": limit,
        "total": len(entries),
        "entries": entries[offset : offset + limit],
    }


def build_app(catalog: Catalog, token: str) -> Starlette:
    """The ASGI application serving ``catalog``; ``token`` guards everything but static files."""

    def namespace_of(request: Request) -> str:
        namespace = request.query_params.get("ns") or catalog.default_namespace
        try:
            return check_session_id(namespace)
        except UsageError as exc:
            raise _BadRequest(f"invalid namespace {namespace!r}") from exc

    async def page(request: Request) -> Response:
        response = templates.TemplateResponse(
            request, "index.html", {"default_namespace": catalog.default_namespace}
        )
        response.headers["Content-Security-Policy"] = CSP
        return response

    async def sessions(request: Request) -> Response:
        filters = Filters(
            model=request.query_params.get("model") or None,
            namespace=request.query_params.get("namespace") or None,
            since=_date(request, "since"),
            until=_date(request, "until"),
            min_cost=_float(request, "min_cost"),
            max_cost=_float(request, "max_cost"),
        )
        rows = await catalog.rows(filters)
        return JSONResponse({"sessions": rows, "namespaces": await catalog.namespaces()})

    async def session(request: Request) -> Response:
        cached = await catalog.get(namespace_of(request), _session_id(request))
        data = {k: v for k, v in cached.digest.items() if k != "entries"}
        data["total_entries"] = len(cached.digest["entries"])
        return JSONResponse(data)

    async def entries(request: Request) -> Response:
        cached = await catalog.get(namespace_of(request), _session_id(request))
        items = cached.digest["entries"]
        limit = _int(request, "limit", 200, 1, PAGE_MAX)
        around = request.query_params.get("around")
        if around:
            if around not in cached.positions:
                return _error(404, f"session {cached.session.id!r} has no entry {around!r}")
            offset = cached.positions[around] // limit * limit
        else:
            offset = _int(request, "offset", 0, 0, max(0, len(items)))
        return JSONResponse(_entry_page(items, offset, limit))

    async def compare(request: Request) -> Response:
        """A fork and its parent from the fork point on, side by side."""
        namespace = namespace_of(request)
        fork = await catalog.get(namespace, _session_id(request))
        origin = fork.digest["fork_of"]
        if origin is None:
            return _error(400, f"session {fork.session.id!r} is not a fork")
        parent = await catalog.get(namespace, origin["session_id"])
        fork_keys = {_same(e) for e in fork.digest["entries"]}
        parent_keys = {_same(e) for e in parent.digest["entries"]}
        shared = sum(1 for e in fork.digest["entries"] if _same(e) in parent_keys)
        return JSONResponse(
            {
                "parent_id": origin["session_id"],
                "seq": origin["seq"],
                "shared": shared,
                "parent": [e for e in parent.digest["entries"] if _same(e) not in fork_keys][:COMPARE_MAX],
                "fork": [e for e in fork.digest["entries"] if _same(e) not in parent_keys][:COMPARE_MAX],
            }
        )

    async def compaction(request: Request) -> Response:
        """What the model saw after a compaction, against what the store holds at that point."""
        cached = await catalog.get(namespace_of(request), _session_id(request))
        event_id = request.path_params["event_id"]
        at = cached.positions.get(event_id)
        if at is None or cached.digest["entries"][at]["kind"] != "compaction":
            return _error(404, f"session {cached.session.id!r} has no compaction {event_id!r}")
        record = cached.digest["entries"][at]
        stored = [e for e in cached.digest["entries"][:at] if e["kind"] == "message"]
        by_id = {e["id"]: e for e in cached.digest["entries"][:at]}
        saw = [by_id[i] for i in record["view_ids"] if i in by_id]
        prompt = f"{cached.session.id}#system"  # the system prompt is a setting, always sent first
        if prompt in by_id and prompt not in record["view_ids"]:
            saw.insert(0, by_id[prompt])
        dropped = set(record["dropped_ids"])
        return JSONResponse(
            {
                "record": record,
                "saw": saw[:PAGE_MAX],
                "saw_total": len(saw),
                "stored": [{**e, "dropped": e["id"] in dropped} for e in stored][-PAGE_MAX:],
                "stored_total": len(stored),
            }
        )

    async def search(request: Request) -> Response:
        text = request.query_params.get("q", "")
        if len(text) > 500:
            return _error(400, "the search text is longer than 500 characters")
        namespace = request.query_params.get("namespace") or None
        hits = await catalog.search(text, namespace)
        return JSONResponse({"hits": hits, "method": catalog.index.method})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await catalog.aclose()

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/s/{session_id:path}", page),
            Route("/api/sessions", sessions),
            Route("/api/sessions/{session_id}", session),
            Route("/api/sessions/{session_id}/entries", entries),
            Route("/api/sessions/{session_id}/compare", compare),
            Route("/api/sessions/{session_id}/compactions/{event_id}", compaction),
            Route("/api/search", search),
            Mount("/static", app=StaticFiles(directory=str(_here / "static")), name="static"),
        ],
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=ALLOWED_HOSTS),
            Middleware(_TokenGuard, token=token),
        ],
        exception_handlers={
            _BadRequest: lambda request, exc: _error(400, str(exc)),
            SessionNotFound: lambda request, exc: _error(404, str(exc)),
            StorageError: lambda request, exc: _error(503, str(exc)),
            UsageError: lambda request, exc: _error(400, str(exc)),
        },
        lifespan=lifespan,
    )
    return app


class _TokenGuard:
    """Let a request through with the right token (query or cookie); set the cookie from the query."""

    def __init__(self, app: Callable[..., Awaitable[None]], token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        given = request.query_params.get("token")
        cookie = request.cookies.get(TOKEN_COOKIE, "")
        if given is not None and hmac.compare_digest(given, self.token):

            async def send_with_cookie(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    header = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode(
                        "latin-1"
                    )
                    message.setdefault("headers", []).append((b"set-cookie", header))
                await send(message)

            await self.app(scope, receive, send_with_cookie)
            return
        if cookie and hmac.compare_digest(cookie, self.token):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            "open the address `sessionforge inspect` printed: it carries the access token", status_code=403
        )
        await response(scope, receive, send)
