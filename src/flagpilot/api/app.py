"""The application factory: one FastAPI app from the services the composition root hands over.

Middleware, outermost first: request observation (id, latency, access log) sees every
answer including errors; CORS for the browser-facing routes; the body-size limit before any
route reads a byte; text no database can store (NUL, lone surrogates) refused with a 422;
then the hot routes' direct dispatch, ahead of the framework's router.
Errors of every layer become problem documents through `problems`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.types import Lifespan

from flagpilot import __version__
from flagpilot.api import problems
from flagpilot.api.admin.tokens import tokens_router
from flagpilot.api.cors import BrowserCors
from flagpilot.api.deps import ApiDependencies
from flagpilot.api.fastpath import FastPaths
from flagpilot.api.hygiene import TextHygiene
from flagpilot.api.limits import BodySizeLimit
from flagpilot.api.loop_lag import LoopLagProbe
from flagpilot.api.metrics import ApiMetrics
from flagpilot.api.observe import RequestObserver
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
    # Swagger UI from files shipped in a package (fastapi-offline), not a CDN: an air-gapped
    # installation gets working API docs. (No ReDoc: ReDoc 2 cannot resolve the `$defs`
    # references of the OpenAPI 3.1 document and renders nothing.)
    app = FastAPIOffline(
        title="flagpilot",
        version=__version__,
        description=DESCRIPTION,
        docs_url=DOCS_URL,
        redoc_url=None,
        static_url=DOCS_ASSETS_URL,
        openapi_url="/openapi.json",
        lifespan=_probed(lifespan, probe),
        # Metrics are Prometheus (`/metrics`); FastAPI's OpenTelemetry hooks would otherwise
        # look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
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
    # add_middleware wraps: the last added is outermost.
    app.add_middleware(FastPaths, routes=[*widget_hot, *ofrep_hot])
    app.add_middleware(TextHygiene)
    app.add_middleware(BodySizeLimit, max_bytes=deps.max_body_bytes)
    app.add_middleware(BrowserCors, origins=deps.cors_origins)
    docs_pages = (DOCS_URL, app.openapi_url, app.swagger_ui_oauth2_redirect_url)
    app.add_middleware(
        RequestObserver,
        metrics=metrics,
        access_log=deps.access_log,
        fixed_paths=[path for path in docs_pages if path],
    )
    return app
