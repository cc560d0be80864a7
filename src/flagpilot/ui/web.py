"""How every admin page is answered: templates, security headers, compression.

Templates ship in the package (`flagpilot/ui/templates`) and autoescape everything, so a flag
name, description, JSON value, reason or customer id renders as text, never as markup. Every
response of the UI's routes carries the security headers below: a content security policy that
allows only this origin's scripts and styles (no inline script, no eval, no framing), no MIME
sniffing, and no caching of pages that show private data. Large pages are gzipped here, so
the flags page with a thousand flags stays small on the wire without touching the API's routes.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from flagpilot.services.clock import utc
from flagpilot.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
    StorageUnavailable,
    Unauthenticated,
)
from flagpilot.ui.sessions import LOGIN_PATH, CsrfRejected, SignInRequired

HTMX = "htmx-2.0.11.min.js"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
GZIP_MIN_BYTES = 1024
DATABASE_DOWN = "The database is unreachable: serving the last good snapshot; changes paused."


def outage_banner(database_down: Callable[[], bool]) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A dependency of every admin route: the banner goes on any page, even one that never
    reaches the database, while the server knows the database is down (`database_down`)."""

    async def mark(request: Request) -> None:
        if database_down():
            request.state.ui_banner = DATABASE_DOWN

    return mark


def database_answered(request: Request) -> None:
    """The page just read the database: no banner, even if the server has not noticed yet."""
    request.state.ui_banner = None


def format_moment(moment: datetime | None) -> str:
    """A moment as people read it: UTC, to the second."""
    if moment is None:
        return ""
    return utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def opening(text: str | None) -> str:
    """When a gate opens, as people read it: a moment in UTC, or the condition itself."""
    if not text:
        return "when its condition holds"
    try:
        return "at " + format_moment(datetime.fromisoformat(text)).removesuffix(" UTC")[:16] + " UTC"
    except ValueError:
        return text


def format_percent(value: float) -> str:
    """A percentage as people read it: 1%, 12.5%."""
    return f"{value:g}%"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("flagpilot.ui", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_moment
    env.filters["percent"] = format_percent
    env.filters["opening"] = opening
    env.globals["htmx"] = HTMX
    return env


TEMPLATES = _environment()


def render(request: Request, template: str, context: Mapping[str, Any], status: int = 200) -> HTMLResponse:
    """The page `template` rendered with `context` (plus the request and its session)."""
    page = TEMPLATES.get_template(template)
    session = getattr(request.state, "ui_session", None)
    values = {"nav": "", "banner": getattr(request.state, "ui_banner", None), **context}
    html = page.render(request=request, session=session, **values)
    return HTMLResponse(html, status_code=status)


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def _finish(request: Request, response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    body = getattr(response, "body", b"")
    if (
        isinstance(body, bytes)
        and len(body) >= GZIP_MIN_BYTES
        and "content-encoding" not in response.headers
        and _accepts_gzip(request)
    ):
        compressed = gzip.compress(body, compresslevel=5)
        response.body = compressed
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(compressed))
        response.headers["Vary"] = "Accept-Encoding"
    return response


PAGES: tuple[tuple[type[ServiceError], int, str], ...] = (
    (CsrfRejected, 403, "Form expired"),
    (NotFound, 404, "Not found"),
    (InvalidInput, 422, "Invalid input"),
    (Conflict, 409, "Conflict"),
    (Unauthenticated, 401, "Unauthenticated"),
    (PermissionDenied, 403, "Permission denied"),
)
"""The status (the API's) and the page heading of each kind of service error; others: 400."""


def error_page(request: Request, error: ServiceError) -> Response:
    """A whole page saying what went wrong, with the status the API would answer."""
    if isinstance(error, StorageUnavailable):
        request.state.ui_banner = DATABASE_DOWN
        return render(request, "error.html", {"title": "Database unavailable", "detail": DATABASE_DOWN}, 503)
    found = ((code, heading) for kind, code, heading in PAGES if isinstance(error, kind))
    status, title = next(found, (400, "Request refused"))
    return render(request, "error.html", {"title": title, "detail": error.detail}, status)


class UiRoute(APIRoute):
    """A route whose every response gets the security headers and, when large, gzip.

    Errors a handler does not answer itself become pages, never a blank one: no session sends
    the browser to the sign-in page; a service error shows its message with the API's status.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def finished(request: Request) -> Response:
            started = time.perf_counter()
            try:
                response = await handler(request)
            except SignInRequired as exc:
                response = RedirectResponse(f"{LOGIN_PATH}?{urlencode({'next': exc.next_path})}", 303)
            except ServiceError as exc:
                response = error_page(request, exc)
            finished_response = _finish(request, response)
            # What the page cost the server, for the browser's devtools and bench/bench_admin_ui.py.
            elapsed_ms = (time.perf_counter() - started) * 1000
            finished_response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.1f}"
            return finished_response

        return finished
