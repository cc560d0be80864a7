"""Operations routes: liveness, readiness and Prometheus metrics (no token: for probes and scrapers).

`/readyz` answers 503 while the process serves stale snapshots because the database cannot be
reached, or when its snapshots were last confirmed current against the database more than
`ready_max_lag_seconds` ago (its refresher is stuck or far behind), so a load balancer drains
it and prefers replicas that are current. The master switch is reported but
does not make a replica unready: a switched-off replica still answers correctly (with the
built-in defaults), and taking every replica out of rotation would serve nothing at all.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from flagpilot.api.deps import ApiDependencies
from flagpilot.api.jsonio import json_response
from flagpilot.api.metrics import ApiMetrics
from flagpilot.api.schemas import Readiness

_NO_STORE = {"Cache-Control": "no-store"}


def readiness(deps: ApiDependencies) -> tuple[bool, dict[str, Any]]:
    """Whether the process is ready, and the body saying why."""
    stats = deps.snapshots.stats()
    if not deps.database:
        database = {"ok": True, "detail": "not used: flags come from the built-in preset"}
    elif stats.stale:
        database = {"ok": False, "detail": f"unreachable: {stats.last_error or 'unknown error'}"}
    else:
        database = {"ok": True, "detail": "reachable"}
    limit = deps.ready_max_lag_seconds
    behind = stats.age_seconds > limit
    detail = f"version {stats.version}, confirmed current {stats.age_seconds:.1f} s ago"
    if stats.stale:
        detail += " (stale: serving the last good snapshot)"
    elif behind:
        detail += f": more than {limit:g} s behind the database (version {stats.database_version})"
    snapshot = {"ok": not (stats.stale or behind), "detail": detail}
    flags = {
        "ok": True,
        "detail": "flags are evaluated"
        if deps.flags_enabled
        else "master switch off: built-in defaults only",
    }
    ready = bool(snapshot["ok"]) and bool(database["ok"])
    return ready, {
        "ready": ready,
        "checks": {"database": database, "snapshot": snapshot, "flagsEnabled": flags},
        "flagsEnabled": deps.flags_enabled,
        "snapshotVersion": stats.version,
        "snapshotAgeSeconds": round(stats.age_seconds, 3),
    }


def operations_router(deps: ApiDependencies, metrics: ApiMetrics) -> APIRouter:
    """`/healthz`, `/readyz` and `/metrics`."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        """Always 200 while the process can answer at all."""
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: snapshots are current",
        response_model=None,
        responses={
            200: {"model": Readiness},
            503: {"model": Readiness, "description": "Not ready; `checks` say why."},
        },
    )
    async def readyz() -> Response:
        """200 when the snapshots are fresh, 503 while stale ones are served."""
        ready, body = readiness(deps)
        return json_response(body, 200 if ready else 503, _NO_STORE)

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_model=None,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
    )
    def prometheus_metrics() -> Response:  # sync: collectors may read the database
        """Evaluations, snapshot cache and age, request latency by route."""
        return Response(metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST, **_NO_STORE})

    return router
