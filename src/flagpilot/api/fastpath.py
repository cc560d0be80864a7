"""Dispatch the hot routes straight to their handlers, past the framework's router.

The widget configuration and OFREP are asked thousands of times a second; each is a handler
`(scope, receive) -> Response` that FastAPI also mounts (for the OpenAPI document and for any
request this dispatcher lets through), so there is one implementation. This middleware sits
inside request observation, CORS and the body limit, so those still apply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Callable[[Scope, Receive], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    """What metrics and logs call a route (`scope["route"].path`)."""

    path: str


@dataclass(frozen=True, slots=True)
class HotRoute:
    """A handler for one method and path template.

    Attributes:
        method: the HTTP method.
        template: the path, ending in `{param}` when its last segment is a parameter.
        handler: answers the request; path parameters are in `scope["path_params"]`.
    """

    method: str
    template: str
    handler: Handler

    @property
    def parameter(self) -> str | None:
        """The name of the last segment's parameter, if the template has one."""
        last = self.template.rsplit("/", 1)[-1]
        return last[1:-1] if last.startswith("{") and last.endswith("}") else None


class FastPaths:
    """ASGI middleware answering `routes` itself and passing every other request on."""

    def __init__(self, app: ASGIApp, routes: Sequence[HotRoute]) -> None:
        self.app = app
        self.exact = {(r.method, r.template): r for r in routes if r.parameter is None}
        self.prefixed = {(r.method, r.template.rsplit("/", 1)[0] + "/"): r for r in routes if r.parameter}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = self._match(scope)
            if route is not None:
                scope["route"] = RouteTemplate(route.template)
                response = await route.handler(scope, receive)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _match(self, scope: Scope) -> HotRoute | None:
        method, path = scope["method"], scope["path"]
        route = self.exact.get((method, path))
        if route is not None or not self.prefixed:
            return route
        head, _, tail = path.rpartition("/")
        route = self.prefixed.get((method, head + "/"))
        if route is None or not tail:
            return None
        scope["path_params"] = {route.parameter: tail}
        return route
