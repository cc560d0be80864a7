"""CORS for the browser-facing routes only.

The widget configuration and OFREP are called from web pages on the operator's own sites; the
admin and SDK routes never are, so they answer no cross-origin requests at all. Starlette's CORS
middleware does the protocol; this wrapper confines it to those path prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

BROWSER_PREFIXES = ("/api/widget/", "/ofrep/")


class BrowserCors:
    """ASGI middleware applying CORS to `BROWSER_PREFIXES` for the allowed origins."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "X-Request-ID"],
            expose_headers=["ETag", "X-Request-ID"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(BROWSER_PREFIXES):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
