"""CORS: any origin on the public client routes, listed origins only on the rest.

The widget configuration, OFREP and the outcome-event route are called from web pages on the
operator's customers' sites. They take public client keys and return no secrets, so they answer
every origin, without credentials, preflights included — a widget works on a new site with no
configuration. Every other route (admin, tokens, SDK) is same-origin unless its origin is listed
in `FLAGPILOT_CORS_ORIGINS`. Starlette's CORS middleware does the protocol.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_PREFIXES = ("/api/widget/", "/ofrep/", "/api/events")
"""Routes any web page may call."""

_HEADERS = ["Authorization", "Content-Type", "If-None-Match", "X-Request-ID"]
_EXPOSED = ["ETag", "X-Request-ID"]


class BrowserCors:
    """ASGI middleware: CORS for every origin on `PUBLIC_PREFIXES`, and for `origins` elsewhere."""

    def __init__(self, app: ASGIApp, origins: Sequence[str] = ()) -> None:
        self.app = app
        self.public = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=_HEADERS,
            expose_headers=_EXPOSED,
            max_age=600,
        )
        self.listed = (
            CORSMiddleware(
                app,
                allow_origins=list(origins),
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=[*_HEADERS, "If-Match"],
                expose_headers=[*_EXPOSED, "Location"],
                max_age=600,
            )
            if origins
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["path"].startswith(PUBLIC_PREFIXES):
            await self.public(scope, receive, send)
        elif self.listed is not None:
            await self.listed(scope, receive, send)
        else:
            await self.app(scope, receive, send)
