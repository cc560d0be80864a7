"""SDK routes: download a whole snapshot, and hear when a new one is out.

Server-side SDKs evaluate locally with the same core as the server, from the snapshot's wire
format (`flagpilot.core.wire`). They poll `/api/sdk/snapshot` with `If-None-Match` or, better,
keep `/api/sdk/stream` open and download only when it announces a new version.

A snapshot holds every organization's overrides, so only tokens that see all organizations
(server-SDK or admin, without an organization) may download or follow it.
"""

# No `from __future__ import annotations` here: FastAPI reads the routes' `Annotated`
# dependencies at definition time, and they name locals of the router factory.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response, StreamingResponse

from flagpilot.api.caching import matches, not_modified
from flagpilot.api.deps import ApiDependencies
from flagpilot.api.jsonio import dumps
from flagpilot.api.schemas import PROBLEM_RESPONSES, problem_doc
from flagpilot.api.security import require, scoped_environment
from flagpilot.api.stream import ChangeBroadcast, parse_last_event_id, snapshot_events
from flagpilot.core import Snapshot, snapshot_to_dict
from flagpilot.services.auth import Principal, TokenKind
from flagpilot.services.errors import PermissionDenied

EnvironmentParam = Annotated[
    str | None, Query(max_length=256, description="Default: the token's, else the server's.")
]


def snapshot_etag(snapshot: Snapshot) -> str:
    """The snapshot's entity tag: its version (marked when the master switch is off)."""
    return f'"{snapshot.version}"' if snapshot.flags_enabled else f'"{snapshot.version}-defaults"'


def _whole_snapshot_reader(principal: Principal) -> Principal:
    if principal.organization_id is not None:
        raise PermissionDenied("an organization's token cannot read the snapshot of every organization")
    return principal


class _SnapshotBodies:
    """The last serialised snapshot per environment: serialised once per version, not per poll."""

    def __init__(self) -> None:
        self._bodies: dict[str, tuple[Snapshot, bytes]] = {}

    def body(self, snapshot: Snapshot) -> bytes:
        cached = self._bodies.get(snapshot.environment)
        if cached is None or cached[0] is not snapshot:
            cached = self._bodies[snapshot.environment] = (snapshot, dumps(snapshot_to_dict(snapshot)))
        return cached[1]


def sdk_router(deps: ApiDependencies, streams: ChangeBroadcast) -> APIRouter:
    """The snapshot download and change-stream routes over `deps`' snapshots."""
    router = APIRouter(prefix="/api/sdk", tags=["SDK"])
    server_sdk = Depends(require(deps.authenticator, TokenKind.SERVER_SDK, TokenKind.ADMIN))
    bodies = _SnapshotBodies()
    not_found: dict[int | str, dict[str, Any]] = {
        404: problem_doc("The environment does not exist."),
        **PROBLEM_RESPONSES,
    }

    @router.get(
        "/snapshot",
        summary="Download the snapshot of an environment",
        response_model=None,
        responses={
            200: {"description": "The snapshot in the wire format (snapshot.schema.json); `ETag` = version."},
            304: {"description": "The snapshot is still the one named by `If-None-Match`."},
            **not_found,
        },
    )
    def download_snapshot(  # sync: a new version's body is serialised in a worker thread
        principal: Annotated[Principal, server_sdk],
        environment: EnvironmentParam = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Every flag of the environment, for evaluating locally."""
        _whole_snapshot_reader(principal)
        snapshot = deps.snapshots.get(scoped_environment(principal, environment, deps.default_environment))
        etag = snapshot_etag(snapshot)
        if matches(if_none_match, etag):
            return not_modified(etag)
        return Response(bodies.body(snapshot), media_type="application/json", headers={"ETag": etag})

    @router.get(
        "/stream",
        summary="Follow snapshot versions (Server-Sent Events)",
        response_model=None,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "`snapshot` events."},
            **not_found,
        },
    )
    async def follow_snapshots(
        principal: Annotated[Principal, server_sdk],
        environment: EnvironmentParam = None,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> StreamingResponse:
        """Announces the current snapshot version, then each new one, as `snapshot` events."""
        _whole_snapshot_reader(principal)
        name = scoped_environment(principal, environment, deps.default_environment)
        deps.snapshots.get(name)  # an unknown environment is a 404 now, not a silent stream
        events = snapshot_events(
            deps.snapshots,
            name,
            parse_last_event_id(last_event_id),
            heartbeat=deps.stream_heartbeat_seconds,
            broadcast=streams,
        )
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router
