"""Per-request observation: a request id, a latency sample and one JSON access-log line.

A caller's `X-Request-ID` is kept (so a trace crosses services) when it looks like an id;
otherwise one is made. Either way it is echoed in the response and written in the log line, so a
client's complaint can be matched to the server's record. Latency is labelled by route template
(`/ofrep/v1/evaluate/flags/{key}`), never by raw path, to keep the metric's size bounded.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections.abc import Iterable
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flagpilot.api.logs import FieldsLog
from flagpilot.api.metrics import UNMATCHED_ROUTE, ApiMetrics

access_logger = logging.getLogger("flagpilot.access")

_ID_PATTERN = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")


def _incoming_id(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            return value if _ID_PATTERN.fullmatch(value) else None
    return None


class RequestObservation:
    """Request ids and the record of each answered request, shared by every layer that answers.

    The middleware below and the hot routes' dispatcher (`fastpath`) both number and record
    requests through one instance, so ids never repeat and every answer is measured alike.
    """

    def __init__(self, metrics: ApiMetrics, access_log: bool = True) -> None:
        self.metrics = metrics
        self.access_log = access_log
        # Made ids: a random per-process prefix and a sequence number: unique across replicas
        # without a system call per request.
        self._id_prefix = os.urandom(6).hex().encode()
        self._log = FieldsLog(access_logger)
        self._sequence = itertools.count(1)

    def request_id(self, scope: Scope) -> bytes:
        """The caller's `X-Request-ID` if it looks like an id, else a new one."""
        return _incoming_id(scope) or b"%s%012x" % (self._id_prefix, next(self._sequence))

    def record(self, scope: Scope, route: str, status: int, started: float, request_id: bytes) -> None:
        """Measure and log one answered request (`started` is its `perf_counter` at arrival)."""
        elapsed = perf_counter() - started
        self.metrics.observe_request(scope["method"], route, status, elapsed)
        if self.access_log and access_logger.isEnabledFor(logging.INFO):  # skip the dict when off
            state = scope.get("state") or {}
            fields = {
                "request_id": request_id.decode(),
                "method": scope["method"],
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": int(elapsed * 1_000_000) / 1000,  # whole microseconds: round() costs more
                "token_id": state.get("token_id"),
                "client": (scope.get("client") or (None,))[0],
            }
            self._log.log(logging.INFO, "request", fields)


class RequestObserver:
    """ASGI middleware recording every HTTP request in the metrics and the access log."""

    def __init__(
        self, app: ASGIApp, observation: RequestObservation, fixed_paths: Iterable[str] = ()
    ) -> None:
        """`fixed_paths` are routes the framework serves without a route object (the OpenAPI document)."""
        self.app = app
        self.fixed_paths = frozenset(fixed_paths)
        self.observation = observation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        request_id = self.observation.request_id(scope)
        id_header = (b"x-request-id", request_id)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path: str = scope["path"]
            template: str = getattr(
                scope.get("route"), "path", path if path in self.fixed_paths else UNMATCHED_ROUTE
            )
            self.observation.record(scope, template, status, started, request_id)
