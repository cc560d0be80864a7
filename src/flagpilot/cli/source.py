"""Where CLI evaluation reads flags from: the database if there is one, else the preset.

The database is used when `FLAGPILOT_DATABASE_URL` names a server database, or when the SQLite
file it names (by default `./flagpilot.db`) exists. Otherwise the preset with the operator's
overrides (config file, then `FLAGPILOT_PRESET__…` variables) is evaluated, at version 0.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from flagpilot.cli.output import fail
from flagpilot.core import Snapshot
from flagpilot.presets import (
    merge,
    overrides_from_env,
    overrides_from_toml,
    preset_states,
    validate_overrides,
)
from flagpilot.services.errors import EnvironmentNotFound, StorageUnavailable
from flagpilot.settings import Settings
from flagpilot.storage import build_engine, is_sqlite
from flagpilot.storage.snapshot_store import SqlSnapshotStore


def preset_overrides(settings: Settings) -> dict[str, dict[str, object]]:
    """The operator's preset overrides: config file first, environment variables over it."""
    layers = []
    if settings.config_file is not None:
        layers.append(overrides_from_toml(settings.config_file.read_text("utf-8")))
    layers.append(overrides_from_env(settings.environ))
    overrides = merge(*layers)
    validate_overrides(overrides)
    return overrides


def uses_database(settings: Settings) -> bool:
    """Whether flags come from the database named by the settings (see the module docstring)."""
    if not is_sqlite(settings.database_url):
        return True
    database = make_url(settings.database_url).database
    return bool(database) and database != ":memory:" and Path(str(database)).is_file()


def database_snapshot(settings: Settings, environment: str) -> Snapshot:
    """A snapshot of `environment` as stored in the database."""
    engine = build_engine(settings.database_url, poolclass=NullPool)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        state = SqlSnapshotStore(engine).load(environment)
    except EnvironmentNotFound:
        fail(f"--env: environment {environment!r} does not exist in the database at {shown}")
    except StorageUnavailable as exc:
        fail(f"cannot read flags from the database at {shown} ({exc.detail}); has `flagpilot init` run?", 1)
    finally:
        engine.dispose()
    return Snapshot(
        state.states, environment=environment, version=state.version, flags_enabled=settings.flags_enabled
    )


def load_snapshot(settings: Settings, environment: str) -> Snapshot:
    """A snapshot of `environment` from the database, or else from the preset and overrides."""
    if uses_database(settings):
        return database_snapshot(settings, environment)
    states = preset_states(environment, preset_overrides(settings))
    return Snapshot(states, environment=environment, version=0, flags_enabled=settings.flags_enabled)
