"""The hot routes answered whole, in one layer ahead of the framework.

The widget configuration and OFREP are asked thousands of times a second. Through the
framework a request crosses eight ASGI layers (server errors, telemetry, the framework's body
limit, observation, CORS, our body limit, text hygiene, a dispatcher), each a coroutine frame,
most with a `send` wrapper of their own: together about as many instructions as the reference
server spends on a whole request. `FastPaths` does for a hot route what those layers do, in one
frame: it numbers and records the request (`observe.RequestObservation`, shared with the
middleware), refuses unstorable text and oversized bodies (`hygiene`, `limits`), calls the
handler, and sends its answer with the public routes' CORS headers and the request id appended.
Errors of every step become problem documents through `problems`, as elsewhere.

The handlers are also mounted in FastAPI, for the OpenAPI document and for any request the
dispatcher does not match (another method, a trailing slash), so there is one implementation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from time import perf_counter

from fastapi.exceptions import RequestValidationError
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from flagpilot.api.cors import PublicCors
from flagpilot.api.hygiene import body_errors, request_errors
from flagpilot.api.limits import NO_BODY_METHODS, body_limit, declared_length
from flagpilot.api.observe import RequestObservation
from flagpilot.api.problems import PayloadTooLarge, response_for
from flagpilot.api.rawhttp import READ_BODY, read_body

Handler = Callable[[Scope, Receive], Awaitable[Response]]
"""Answers a request with a plain `Response` (bytes and headers; no background task)."""


@dataclass(frozen=True, slots=True, eq=False)
class HotRoute:
    """A handler for one method and path template; equal to itself only, so it is hashed by
    identity (as a dictionary key, per request) rather than by a generated `__hash__`.

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
    """Matches and answers the hot routes; the application sends every other request on.

    Args:
        routes: the hot routes.
        observation: request ids, metrics and access log, shared with the middleware.
        cors: the public routes' CORS policy, whose simple-request headers every answer gets.
        max_body_bytes: the body limit of routes without a limit of their own.
    """

    def __init__(
        self,
        routes: Sequence[HotRoute],
        observation: RequestObservation,
        cors: PublicCors,
        max_body_bytes: int,
    ) -> None:
        self.exact = {(r.method, r.template): r for r in routes if r.parameter is None}
        self.prefixed = {(r.method, r.template.rsplit("/", 1)[0] + "/"): r for r in routes if r.parameter}
        self.observation = observation
        self.cors = cors
        # A route's limit, from its template: looked up once, not per request.
        self.limits = {r: body_limit(r.method, r.template, max_body_bytes)[0] for r in routes}

    def match(self, scope: Scope) -> HotRoute | None:
        """The hot route of an HTTP request, its path parameter put in the scope; None for others."""
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

    async def serve(self, route: HotRoute, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a request `match` found, and record it."""
        started = perf_counter()
        request_id = self.observation.request_id(scope)
        status = 500
        try:
            response = await self._answer(route, scope, receive)
            status = response.status_code
            headers = [*response.raw_headers, *self.cors.added_headers(scope), (b"x-request-id", request_id)]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": response.body})
        finally:
            self.observation.record(scope, route.template, status, started, request_id)

    async def _answer(self, route: HotRoute, scope: Scope, receive: Receive) -> Response:
        try:
            errors = request_errors(scope)
            if errors:
                raise RequestValidationError(errors)
            if route.method not in NO_BODY_METHODS:
                receive = await self._checked_body(scope, receive, self.limits[route])
            return await route.handler(scope, receive)
        except Exception as exc:  # as the framework's error layer: every failure is a problem document
            return response_for(exc)

    async def _checked_body(self, scope: Scope, receive: Receive, limit: int) -> Receive:
        """The body read within `limit` and checked for unstorable text, left in the scope for the
        handler (`rawhttp.request_body`) and replayed to any other reader."""
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            raise _too_large(scope, limit)
        try:
            body = await read_body(receive, limit)
        except PayloadTooLarge:
            raise _too_large(scope, limit) from None
        errors = body_errors(body)
        if errors:
            raise RequestValidationError(errors)
        scope[READ_BODY] = body
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay


def _too_large(scope: Scope, limit: int) -> PayloadTooLarge:
    """The 413 for a body over `limit`, naming the route as the body-limit middleware does."""
    return PayloadTooLarge(limit, body_limit(scope["method"], scope["path"], limit)[1])
