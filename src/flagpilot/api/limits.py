"""Refuse request bodies over a size limit, before and while they are read.

A declared `Content-Length` over the limit is answered with 413 at once, without reading a
byte. A body sent without one (chunked) is counted as it streams in; the first chunk that
crosses the limit raises `PayloadTooLarge` where the route reads the body, which the problem
table turns into the same 413.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flagpilot.api.problems import PayloadTooLarge, response_for

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class BodySizeLimit:
    """ASGI middleware enforcing `max_bytes` on every HTTP request body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared(scope)
        if declared is not None and declared > self.max_bytes:
            await response_for(PayloadTooLarge(self.max_bytes))(scope, receive, send)
            return
        if scope["method"] in _NO_BODY:  # routes of these methods never read a body
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)


def _declared(scope: Scope) -> int | None:
    """The request's Content-Length; an unreadable one counts as too large."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 1 << 62
    return None
