"""CORS: any origin on the public client routes, listed origins only on the rest.

The widget configuration, OFREP and the outcome-event route are called from web pages on the
operator's customers' sites. They take public client keys and return no secrets, so they answer
every origin, without credentials, preflights included — a widget works on a new site with no
configuration. Every other route (admin, tokens, SDK) is same-origin unless its origin is listed
in `FLAGPILOT_CORS_ORIGINS`. Starlette's CORS middleware does the protocol; on the public routes
the answer to a simple request does not depend on the origin, so its headers are added as
ready bytes (`PublicCors`) rather than through Starlette's per-response header parsing, which
costs about a tenth of a widget request.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_PREFIXES = ("/api/widget/", "/ofrep/", "/api/events")
"""Routes any web page may call."""

_HEADERS = ["Authorization", "Content-Type", "If-None-Match", "X-Request-ID"]
_EXPOSED = ["ETag", "X-Request-ID"]


class PublicCors(CORSMiddleware):
    """Starlette's CORS for any origin without credentials, its simple answers built as bytes.

    With every origin allowed and no credentials, Starlette adds the same headers to every
    simple response: `Access-Control-Allow-Origin: *` and the exposed headers when the request
    names an origin, and `Vary: Origin` either way. Preflights still go to Starlette.
    """

    def __init__(self, app: ASGIApp, allow_methods: Sequence[str], allow_headers: Sequence[str],
                 expose_headers: Sequence[str], max_age: int) -> None:  # fmt: skip
        super().__init__(
            app,
            allow_origins=["*"],
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            expose_headers=expose_headers,
            max_age=max_age,
        )
        simple = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.simple_headers.items()]
        self._with_origin = (*simple, (b"vary", b"Origin"))
        self._without_origin = ((b"vary", b"Origin"),)

    def added_headers(self, scope: Scope) -> tuple[tuple[bytes, bytes], ...]:
        """The headers added to a simple (not preflight) answer to this request, which carries no `Vary`."""
        for name, _ in scope["headers"]:
            if name == b"origin":
                return self._with_origin
        return self._without_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = preflight = False
        for name, _ in scope["headers"]:
            if name == b"origin":
                origin = True
            elif name == b"access-control-request-method":
                preflight = True
        if origin and preflight and scope["method"] == "OPTIONS":
            await super().__call__(scope, receive, send)
            return
        added = self._with_origin if origin else self._without_origin

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if any(name.lower() == b"vary" for name, _ in headers):
                    # An answer that already varies: let Starlette merge the values.
                    await self.send(message, send, Headers(scope=scope))
                    return
                message["headers"] = [*headers, *added]
            await send(message)

        await self.app(scope, receive, send_with_cors)


def public_cors(app: ASGIApp) -> PublicCors:
    """The public routes' CORS policy (any origin, no credentials) in front of `app`."""
    return PublicCors(
        app, allow_methods=["GET", "POST"], allow_headers=_HEADERS, expose_headers=_EXPOSED, max_age=600
    )


class BrowserCors:
    """ASGI middleware: CORS for every origin on `PUBLIC_PREFIXES`, and for `origins` elsewhere."""

    def __init__(self, app: ASGIApp, origins: Sequence[str] = ()) -> None:
        self.app = app
        self.public = public_cors(app)
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
