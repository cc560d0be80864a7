"""The ASGI application a server process runs: settings → services → `create_app`.

    uvicorn --factory flagpilot.server.asgi:create_asgi_app

`build_dependencies` is the one place that decides where the API's snapshots and tokens come
from. Today: the built-in preset (with the operator's overrides) in memory, and an in-memory
token store holding the bootstrap admin token. Serving from the database is a different
`build_dependencies` and a lifespan that starts and closes the container; nothing else changes.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from fastapi import FastAPI

from flagpilot.api import ApiDependencies, close_streams, create_app
from flagpilot.core import FlagValue, Snapshot
from flagpilot.presets import (
    ENVIRONMENTS,
    merge,
    overrides_from_env,
    overrides_from_toml,
    preset_states,
    validate_overrides,
)
from flagpilot.services.auth import TokenKind
from flagpilot.services.snapshots import StaticSnapshotProvider
from flagpilot.services.tokens import InMemoryTokenStore, TokenService
from flagpilot.settings import Settings

PRESET_VERSION = 1


def _overrides(settings: Settings) -> dict[str, dict[str, FlagValue]]:
    layers = [overrides_from_toml(settings.config_file.read_text("utf-8"))] if settings.config_file else []
    overrides = merge(*layers, overrides_from_env(settings.environ))
    validate_overrides(overrides)
    return overrides


def preset_snapshots(settings: Settings) -> StaticSnapshotProvider:
    """Snapshots of the preset in every known environment, with the operator's overrides."""
    overrides = _overrides(settings)
    names = dict.fromkeys((*ENVIRONMENTS, settings.environment, *overrides))
    return StaticSnapshotProvider(
        {
            name: Snapshot(
                preset_states(name, overrides),
                environment=name,
                version=PRESET_VERSION,
                flags_enabled=settings.flags_enabled,
            )
            for name in names
        }
    )


def memory_tokens(settings: Settings) -> TokenService:
    """An in-memory token service holding the bootstrap admin token, if one is configured."""
    tokens = TokenService(InMemoryTokenStore())
    if settings.bootstrap_admin_token:
        tokens.register(settings.bootstrap_admin_token, TokenKind.ADMIN, "bootstrap admin")
    return tokens


def _seconds(settings: Settings, name: str, default: float) -> float:
    raw = settings.environ.get(name)
    return float(raw) if raw else default


def build_dependencies(settings: Settings) -> ApiDependencies:
    """The API's services for a process without a database."""
    tokens = memory_tokens(settings)
    return ApiDependencies(
        snapshots=preset_snapshots(settings),
        authenticator=tokens,
        default_environment=settings.environment,
        cors_origins=settings.cors_origins,
        flags_enabled=settings.flags_enabled,
        tokens=tokens,
        database=False,
        stream_heartbeat_seconds=_seconds(settings, "FLAGPILOT_STREAM_HEARTBEAT_SECONDS", 15.0),
        access_log=settings.environ.get("FLAGPILOT_ACCESS_LOG", "true").lower()
        not in ("0", "false", "no", "off"),
    )


def _end_streams_on_signals() -> None:
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
            close_streams()
            chained(sig, frame)

        signal.signal(signum, handler)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    _end_streams_on_signals()
    yield
    close_streams()


def create_asgi_app(settings: Settings | None = None) -> FastAPI:
    """The application for `settings` (read from the environment when not given)."""
    return create_app(build_dependencies(settings or Settings.from_env()), lifespan=_lifespan)
