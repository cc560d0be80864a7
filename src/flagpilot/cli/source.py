"""Where CLI evaluation reads flags from: the database, or on request the built-in preset.

The database named by `FLAGPILOT_DATABASE_URL` must exist and be initialised, as for `serve`:
answering built-in defaults for a mistyped path would look like a working installation, and
connecting to a missing SQLite file would leave an empty one behind. `--preset` evaluates the
preset with the operator's overrides (config file, then `FLAGPILOT_PRESET__…` variables), at
version 0, without any database.
"""

from __future__ import annotations

from sqlalchemy.pool import NullPool

from flagpilot.cli.output import fail
from flagpilot.core import Snapshot
from flagpilot.presets import (
    ENVIRONMENTS,
    merge,
    overrides_from_env,
    overrides_from_toml,
    preset_states,
    validate_overrides,
)
from flagpilot.server.startup import DatabaseNotReady, check_database
from flagpilot.services.errors import EnvironmentNotFound, StorageUnavailable
from flagpilot.settings import Settings
from flagpilot.storage import build_engine
from flagpilot.storage.dialect import driver_message
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


def database_snapshot(settings: Settings, environment: str, origin: str) -> Snapshot:
    """A snapshot of `environment` as stored in the database (`origin` names where the
    environment came from, for the error: `--env` or `FLAGPILOT_ENVIRONMENT`)."""
    engine = build_engine(settings.database_url, poolclass=NullPool)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        state = SqlSnapshotStore(engine).load(environment)
    except EnvironmentNotFound:
        fail(f"{origin}: environment {environment!r} does not exist in the database at {shown}")
    except StorageUnavailable as exc:
        driver = driver_message(exc.__cause__)
        why = exc.detail if driver is None else f"{exc.detail}: {driver}"
        fail(f"cannot read flags from the database at {shown} ({why}); has `flagpilot init` run?", 1)
    finally:
        engine.dispose()
    return Snapshot(
        state.states, environment=environment, version=state.version, flags_enabled=settings.flags_enabled
    )


def load_snapshot(settings: Settings, environment: str | None, *, preset: bool = False) -> Snapshot:
    """A snapshot of `environment` (None: the settings' default) from the database, or from
    the preset and its overrides when `preset` is set."""
    origin = "--env" if environment is not None else "FLAGPILOT_ENVIRONMENT"
    name = environment if environment is not None else settings.environment
    if preset:
        if name not in ENVIRONMENTS:
            fail(f"{origin}: environment {name!r} is not one of the preset's: {', '.join(ENVIRONMENTS)}")
        states = preset_states(name, preset_overrides(settings))
        return Snapshot(states, environment=name, version=0, flags_enabled=settings.flags_enabled)
    try:
        check_database(settings)
    except DatabaseNotReady as exc:
        fail(f"{exc} (or pass --preset to evaluate the built-in preset without a database)", 1)
    return database_snapshot(settings, name, origin)
