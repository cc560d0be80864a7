"""What the HTTP API is built from: the services it serves, passed in by the composition root.

The API never builds its own services: `flagpilot.server` decides whether snapshots come from
the preset or the database and whether tokens live in memory or in SQL, and hands them over here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter
from prometheus_client.registry import Collector

from flagpilot.services.auth import Authenticator
from flagpilot.services.evaluations import EvaluationCounter
from flagpilot.services.snapshots import RefreshSignal, SnapshotProvider
from flagpilot.services.tokens import TokenService

DEFAULT_MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ApiDependencies:
    """Everything `create_app` needs.

    Attributes:
        snapshots: compiled snapshots per environment; the request path reads only these.
        authenticator: turns bearer secrets into principals.
        default_environment: the environment evaluated when neither token nor request names one.
        cors_origins: browser origins allowed to call the admin and SDK routes (the widget,
            OFREP and event routes answer every origin).
        max_body_bytes: larger request bodies are refused with 413 before they are read.
        flags_enabled: the master switch, reported by `/readyz` and `/metrics`.
        tokens: the token service, for routes that manage tokens (None when not offered).
        database: whether the snapshots come from a database, so `/readyz` reports on it.
        routers: further routers (admin, UI) mounted beside the serving routes.
        collectors: further Prometheus collectors (e.g. database query times) for `/metrics`.
        stream_poll_seconds: how often change streams look for a new snapshot version, when
            there is no `snapshot_refreshes` to tell them.
        snapshot_refreshes: tells after each refresh of `snapshots` (the snapshot cache), so the
            change streams are woken by the refresh that moved the version instead of polling.
        stream_heartbeat_seconds: how often an idle change stream sends a keep-alive comment.
        access_log: whether each request is logged as a JSON line on `flagpilot.access`.
        loop_lag_interval_seconds: how often the event-loop lag probe wakes.
        ready_max_lag_seconds: `/readyz` fails when the snapshots were last confirmed current
            against the database longer ago than this.
        evaluations: counts the flags the serving routes evaluate, per environment (in memory;
            flushed elsewhere), for the admin UI's stale mark; None counts nothing.
    """

    snapshots: SnapshotProvider
    authenticator: Authenticator
    default_environment: str = "production"
    cors_origins: Sequence[str] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    flags_enabled: bool = True
    tokens: TokenService | None = None
    database: bool = False
    routers: Sequence[APIRouter] = ()
    collectors: Sequence[Collector] = field(default_factory=tuple)
    stream_poll_seconds: float = 0.15
    snapshot_refreshes: RefreshSignal | None = None
    stream_heartbeat_seconds: float = 15.0
    access_log: bool = True
    ready_max_lag_seconds: float = 10.0
    loop_lag_interval_seconds: float = 0.05
    evaluations: EvaluationCounter | None = None
