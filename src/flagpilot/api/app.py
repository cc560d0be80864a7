"""The application factory: one FastAPI app from the services the composition root hands over.

The hot routes (widget configuration, OFREP) are answered by `fastpath` before the framework
sees them; it applies the same observation, CORS, body limit and text checks in one layer.
Every other request meets the middleware, outermost first: request observation (id, latency,
access log) sees every answer including errors; CORS for the browser-facing routes; the
body-size limit before any route reads a byte; text no database can store (NUL, lone
surrogates) refused with a 422.
Errors of every layer become problem documents through `problems`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import Lifespan, Receive, Scope, Send

from flagpilot import __version__
from flagpilot.api import problems
from flagpilot.api.admin.tokens import tokens_router
from flagpilot.api.cors import BrowserCors, public_cors
from flagpilot.api.deps import ApiDependencies
from flagpilot.api.docs_pages import install_docs_pages
from flagpilot.api.fastpath import FastPaths
from flagpilot.api.hygiene import TextHygiene
from flagpilot.api.limits import BodySizeLimit
from flagpilot.api.loop_lag import LoopLagProbe
from flagpilot.api.metrics import ApiMetrics
from flagpilot.api.observe import RequestObservation, RequestObserver
from flagpilot.api.ofrep import ofrep_routes
from flagpilot.api.openapi import problem_aware_openapi
from flagpilot.api.operations import operations_router
from flagpilot.api.sdk import sdk_router
from flagpilot.api.stream import ChangeBroadcast
from flagpilot.api.widget import widget_routes

DOCS_URL = "/docs"
DOCS_ASSETS_URL = "/docs-assets"
"""Where the Swagger UI and ReDoc scripts and styles are served from (the package's own files)."""

DESCRIPTION = """\
Feature flags and progressive rollouts.

Authenticate with an API token: `Authorization: Bearer fp_<kind>_…`. Errors are
`application/problem+json` (RFC 9457). On the serving routes (widget config, OFREP bulk
evaluation, SDK snapshot) a matching `If-None-Match` is answered with 304. On admin routes the
`ETag` is the object's version, for `If-Match` on the next write (409 when it is stale).
"""


class ServingApp(FastAPI):
    """FastAPI with the hot routes answered ahead of its middleware stack (see `fastpath`)."""

    fast_paths: FastPaths | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast_paths = self.fast_paths
        if fast_paths is not None and scope["type"] == "http":
            route = fast_paths.match(scope)
            if route is not None:
                scope["app"] = self
                await fast_paths.serve(route, scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _probed(lifespan: Lifespan[FastAPI] | None, probe: LoopLagProbe) -> Lifespan[FastAPI]:
    """`lifespan` with the event-loop lag probe running while the app serves (after start-up)."""

    @asynccontextmanager
    async def probed(app: FastAPI) -> AsyncIterator[Any]:
        if lifespan is None:
            async with probe.running():
                yield None
            return
        async with lifespan(app) as state, probe.running():
            yield state

    return probed


def create_app(deps: ApiDependencies, lifespan: Lifespan[FastAPI] | None = None) -> FastAPI:
    """Build the HTTP API over `deps`.

    Args:
        deps: the services to serve.
        lifespan: what the composition root starts before serving and stops after
            (caches, listeners, database pools).

    The app keeps `deps`, its metrics and its change-stream broadcast on `app.state` (`deps`,
    `metrics`, `streams`): the composition root closes `streams` when the server stops.
    """
    metrics = ApiMetrics(deps.snapshots, deps.flags_enabled, deps.collectors)
    probe = LoopLagProbe(metrics.registry, deps.loop_lag_interval_seconds)
    app = ServingApp(
        title="flagpilot",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_probed(lifespan, probe),
        # Metrics are Prometheus (`/metrics`); FastAPI's OpenTelemetry hooks would otherwise
        # look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_docs_pages(app, DOCS_URL, DOCS_ASSETS_URL)
    app.openapi = problem_aware_openapi(app)  # type: ignore[method-assign]
    app.state.deps = deps
    app.state.metrics = metrics
    streams = app.state.streams = ChangeBroadcast(
        deps.snapshots, deps.stream_poll_seconds, refreshes=deps.snapshot_refreshes
    )
    problems.install(app)
    widget, widget_hot = widget_routes(deps, metrics)
    ofrep, ofrep_hot = ofrep_routes(deps, metrics)
    routers = [widget, ofrep, sdk_router(deps, streams)]
    if deps.tokens is not None:
        routers.append(tokens_router(deps.tokens, deps.authenticator))
    for router in (*routers, operations_router(deps, metrics), *deps.routers):
        app.include_router(router)
    observation = RequestObservation(metrics, deps.access_log)
    app.fast_paths = FastPaths([*widget_hot, *ofrep_hot], observation, public_cors(app), deps.max_body_bytes)
    # add_middleware wraps: the last added is outermost.
    app.add_middleware(TextHygiene)
    app.add_middleware(BodySizeLimit, max_bytes=deps.max_body_bytes)
    app.add_middleware(BrowserCors, origins=deps.cors_origins)
    fixed_paths = [app.openapi_url] if app.openapi_url else []  # served without a route object
    app.add_middleware(RequestObserver, observation=observation, fixed_paths=fixed_paths)
    return app
