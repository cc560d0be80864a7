"""The ASGI application a server process runs: settings → container → `create_app`.

    uvicorn --factory flagpilot.server.asgi:create_asgi_app

Building the application opens no connection (so the OpenAPI document can be produced without a
database). Its lifespan does the rest, in every worker process: refuse a database that is not
initialised (naming `flagpilot init`), start the container's snapshot cache and change listener,
register the bootstrap admin token, run the extension hooks; and on shutdown end the change
streams and close the container.

Everything an app runs on is built here for that app, nothing at module level: the container,
its rollout runtime (aggregator, checker, alerts, leader election), the routers over them (admin
API, rollouts, UI), the Prometheus collectors and the lifespan that starts and stops them. Two
apps in one process share nothing.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from functools import partial
from types import FrameType
from typing import Any

from fastapi import APIRouter, FastAPI

from flagpilot.api import ApiDependencies, ChangeBroadcast, create_app
from flagpilot.api.admin import AdminServices, admin_routers
from flagpilot.server.container import Container, build_container
from flagpilot.server.rollout_runtime import RolloutRuntime, build_rollout_runtime
from flagpilot.server.startup import bootstrap_admin, check_schema
from flagpilot.services.transfer import export_document, import_document
from flagpilot.settings import Settings
from flagpilot.ui import UiServices, ui_routers


def admin_routers_of(container: Container) -> Sequence[APIRouter]:
    """The admin API over the container's flag manager, audit log and transfer."""
    return admin_routers(
        AdminServices(
            flags=container.flag_manager,
            audit=container.audit_log,
            authenticator=container.tokens,
            export=partial(export_document, container.uow_factory),
            import_document=partial(import_document, container.uow_factory),
            default_environment=container.settings.environment,
            token_names=lambda: {token.token_id: token.name for token in container.tokens.list()},
        )
    )


def ui_routers_of(container: Container, runtime: RolloutRuntime) -> Sequence[APIRouter]:
    """The admin web UI over the same services as the admin API."""
    return ui_routers(
        UiServices(
            flags=container.flag_manager,
            rollouts=container.rollout_manager,
            audit=container.audit_log,
            tokens=container.tokens,
            users=container.users,
            snapshots=container.snapshots,
            alerts=runtime.alerts,
            checker=runtime.checker,
            state_version=container.store.version,
            acknowledgements=container.acknowledgements,
            evaluations=container.evaluations,
            stale_after=timedelta(days=container.settings.stale_after_days),
        )
    )


def build_dependencies(container: Container, runtime: RolloutRuntime) -> ApiDependencies:
    """The API's services over the database: snapshots from the cache, tokens in SQL, and the
    admin, rollout and UI routes and the rollout metrics of this app's runtime."""
    settings = container.settings
    return ApiDependencies(
        snapshots=container.snapshots,
        snapshot_refreshes=container.snapshots,
        authenticator=container.tokens,
        default_environment=settings.environment,
        cors_origins=settings.cors_origins,
        flags_enabled=settings.flags_enabled,
        tokens=container.tokens,
        database=True,
        routers=[
            *admin_routers_of(container),
            *runtime.routers(container.tokens, settings.environment),
            *ui_routers_of(container, runtime),
        ],
        collectors=runtime.collectors(),
        stream_heartbeat_seconds=settings.stream_heartbeat_seconds,
        access_log=settings.access_log,
        ready_max_lag_seconds=settings.ready_max_lag_seconds,
        loop_lag_interval_seconds=settings.loop_lag_interval_seconds,
        evaluations=container.evaluations.counter,
    )


def _end_streams_on_signals(streams: ChangeBroadcast) -> None:
    """Close change streams as soon as the server is asked to stop.

    The server waits for open responses before it shuts the application down, and a change
    stream never finishes by itself; so the stop signal itself, not the later lifespan
    shutdown, has to end them. The server's own handler still runs after ours.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set handlers; an embedding host owns the signals then
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue

        def handler(sig: int, frame: FrameType | None, chained: Callable[..., Any] = previous) -> None:
            streams.close()
            chained(sig, frame)

        signal.signal(signum, handler)


SWITCH_INTERVAL_SECONDS = 0.001


def _tune_interpreter() -> None:
    """Keep the event loop responsive while background threads compute (snapshot rebuilds).

    A thread waiting for the interpreter lock asks for it after the switch interval (5 ms by
    default); at 1 ms the event loop gets it back five times sooner when a rebuild runs. The
    objects that exist once the snapshots are built (modules, settings, the first snapshots) live
    as long as the process, so they are moved out of the garbage collector's sight: later
    collections traverse only what was made since.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.collect()
    gc.freeze()


def _lifespan(
    container: Container, runtime: RolloutRuntime
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        streams: ChangeBroadcast = app.state.streams
        _end_streams_on_signals(streams)
        streams.reopen()  # an app may serve again after it shut down
        # Database work and the first snapshot builds run in a thread: the loop stays free.
        await asyncio.to_thread(check_schema, container.engine)
        await asyncio.to_thread(container.start)
        _tune_interpreter()
        try:
            await asyncio.to_thread(
                bootstrap_admin, container.tokens, container.settings.bootstrap_admin_token
            )
            # Know the serving rollouts before the first request: an event posted to a server
            # that has not read them yet would be answered "ignored" and dropped.
            await asyncio.to_thread(runtime.start)
            try:
                yield
            finally:
                # Stopping joins the threads and flushes to the database: off the event loop.
                await asyncio.to_thread(runtime.stop)
        finally:
            streams.close()
            await asyncio.to_thread(container.close)

    return lifespan


def create_asgi_app(settings: Settings | None = None) -> FastAPI:
    """The application for `settings` (read from the environment when not given).

    The container is on `app.state.container` and its rollout runtime on `app.state.rollouts`,
    for tests.
    """
    container = build_container(settings or Settings.from_env())
    runtime = build_rollout_runtime(container, container.settings)
    app = create_app(build_dependencies(container, runtime), lifespan=_lifespan(container, runtime))
    app.state.container = container
    app.state.rollouts = runtime
    return app
