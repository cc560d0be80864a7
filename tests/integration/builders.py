"""Small helpers that put known rows in a test database through the application's own path."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

from flagpilot.core import FlagDefinition
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.services.stored_records import EnvironmentRecord
from flagpilot.storage import SqlUnitOfWorkFactory

ENVIRONMENTS = ("development", "staging", "production")


def add_flags(
    uow_factory: SqlUnitOfWorkFactory,
    keys: Iterable[str] = ("phase2_enhanced_storage",),
    environments: Iterable[str] = ENVIRONMENTS,
    rollout_environment: str | None = None,
) -> None:
    """Store environments and boolean flags (and planned rollouts in one environment)."""
    with uow_factory(actor="test-setup") as uow:
        for name in environments:
            if uow.environments.get(name) is None:
                uow.environments.add(EnvironmentRecord(name))
        for key in keys:
            uow.flags.add(FlagDefinition(key=key))
            if rollout_environment is not None:
                uow.rollouts.put(RolloutRecord(feature_name=key, environment=rollout_environment))
        uow.commit()


def state_version(connection: Connection) -> int:
    """The current `state_version.version`."""
    return int(connection.execute(text("SELECT version FROM state_version WHERE id = 1")).scalar_one())


def audit_rows(connection: Connection, actor: str | None = None) -> list[dict[str, object]]:
    """The audit trail in id order (optionally of one actor), as dicts."""
    sql = "SELECT * FROM feature_flag_changes"
    params = {}
    if actor is not None:
        sql += " WHERE actor = :actor"
        params["actor"] = actor
    rows = connection.execute(text(sql + " ORDER BY id"), params).mappings()
    return [dict(row) for row in rows]
