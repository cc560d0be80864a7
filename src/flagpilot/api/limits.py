"""Refuse request bodies over a size limit, before and while they are read.

Most routes take small bodies and share the default limit; a few take documented bulk batches
(5,000 outcome events, 10,000 overrides or whitelisted customers, a whole export) and get a
limit sized for the largest legal batch. The 413 answer names the route and its limit.

A declared `Content-Length` over the limit is answered with 413 at once, without reading a
byte. A body sent without one (chunked) is counted as it streams in; the first chunk that
crosses the limit raises `PayloadTooLarge` where the route reads the body, which the problem
table turns into the same 413.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flagpilot.api.problems import PayloadTooLarge, response_for

NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
"""Methods whose routes never read a request body."""
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RouteLimit:
    """A body limit for one route.

    Attributes:
        method: the HTTP method.
        template: the path as documented, `{name}` standing for one path segment.
        max_bytes: the largest body accepted.
        holds: what a body of that size holds, for the 413 detail (`5,000 events`).
    """

    method: str
    template: str
    max_bytes: int
    holds: str

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and _pattern(self.template).fullmatch(path) is not None

    def describe(self) -> str:
        return f"{self.method} {self.template} (room for {self.holds})"


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(template: str) -> re.Pattern[str]:
    found = _PATTERNS.get(template)
    if found is None:
        found = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))
        _PATTERNS[template] = found
    return found


BULK_LIMITS: tuple[RouteLimit, ...] = (
    # 5,000 events of up to ~620 bytes each (two 256-character ids, outcome, count, ISO time).
    RouteLimit("POST", "/api/events", 4 * MIB, "5,000 events"),
    # 10,000 subject ids of up to 128 characters, each with a value (JSON values can be long).
    RouteLimit("PUT", "/api/admin/flags/{key}/overrides", 8 * MIB, "10,000 overrides"),
    RouteLimit("POST", "/api/admin/flags/{key}/overrides/clear", 4 * MIB, "10,000 subject ids"),
    # A rollout's whitelist holds up to 10,000 customers.
    RouteLimit("POST", "/api/admin/rollout", 4 * MIB, "a 10,000-customer whitelist"),
    # An export of a large installation: thousands of flags, 100,000 overrides.
    RouteLimit("POST", "/api/admin/import", 64 * MIB, "an export of 100,000 overrides"),
)
"""The routes whose documented batches need more than the default limit."""


class BodySizeLimit:
    """ASGI middleware enforcing `max_bytes` on request bodies, or a route's own limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, routes: Sequence[RouteLimit] = BULK_LIMITS) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.routes = tuple(routes)

    def limit_for(self, method: str, path: str) -> tuple[int, str]:
        """The limit for a request and how the 413 names it."""
        return body_limit(method, path, self.max_bytes, self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        limit, route = (
            (self.max_bytes, "")
            if method in NO_BODY_METHODS
            else self.limit_for(method, scope["path"].rstrip("/") or "/")
        )
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            await response_for(PayloadTooLarge(limit, route))(scope, receive, send)
            return
        if method in NO_BODY_METHODS:  # routes of these methods never read a body
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLarge(limit, route)
            return message

        await self.app(scope, counting_receive, send)


def body_limit(
    method: str, path: str, default: int, routes: Sequence[RouteLimit] = BULK_LIMITS
) -> tuple[int, str]:
    """The body limit of a request (a route's own, else `default`) and how the 413 names it."""
    for route in routes:
        if route.matches(method, path):
            return route.max_bytes, route.describe()
    return default, f"{method} {path}"


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length; an unreadable one counts as too large."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 1 << 62
    return None
