"""Triggers bump the state version on every change and audit changes made outside the application."""

from __future__ import annotations

import json

import psycopg
import pytest
from sqlalchemy import Engine, text

from flagpilot.services.audit_chain import ChainChecker
from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.stored_records import FlagSetting
from flagpilot.storage import SqlUnitOfWorkFactory, libpq_url
from tests.integration.builders import add_flags, audit_rows, state_version

EMERGENCY = (
    "UPDATE feature_rollouts SET current_tier = 'tier_0_disabled', percentage = 0, "
    "status = 'rolled_back' WHERE feature_name = 'phase2_enhanced_storage'"
)


def test_emergency_sql__outside_the_application__bumps_version_and_is_audited_as_database(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given
    add_flags(uow_factory, rollout_environment="production")
    with engine.connect() as connection:
        before = state_version(connection)

    # When
    with engine.begin() as connection:
        connection.execute(text(EMERGENCY))

    # Then
    with engine.connect() as connection:
        assert state_version(connection) > before
        rows = audit_rows(connection, actor="database")
    assert len(rows) == 1
    row = rows[0]
    assert (row["action"], row["scope"], row["feature_name"], row["environment"]) == (
        "database.update",
        "rollout",
        "phase2_enhanced_storage",
        "production",
    )
    assert json.loads(str(row["before_value"]))["status"] == "planned"
    assert json.loads(str(row["after_value"]))["status"] == "rolled_back"
    assert row["hash"] is None


def test_application_writes__bump_version_but_write_no_database_audit_rows(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given
    add_flags(uow_factory)
    with engine.connect() as connection:
        before = state_version(connection)

    # When
    with uow_factory(actor="alice") as uow:
        uow.environments.put_setting(FlagSetting("phase2_enhanced_storage", "production", killed=True))
        uow.commit()

    # Then
    with engine.connect() as connection:
        assert state_version(connection) > before
        assert audit_rows(connection, actor="database") == []
        assert connection.execute(text("SELECT count(*) FROM app_transactions")).scalar() == 0


def test_next_application_audit_row__seals_the_trigger_rows_into_the_chain(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given: two changes by hand-written SQL, unsealed
    add_flags(uow_factory, rollout_environment="production")
    with engine.begin() as connection:
        connection.execute(text(EMERGENCY))
        connection.execute(text("UPDATE flags SET description = 'x' WHERE key = 'phase2_enhanced_storage'"))

    # When
    with uow_factory(actor="alice") as uow:
        uow.audit.record(
            AuditEntry(action="flag.update", scope="flag", feature_name="phase2_enhanced_storage")
        )
        uow.commit()

    # Then
    with uow_factory(actor="auditor", read_only=True) as uow:
        chain = uow.audit.chain()
    checker = ChainChecker()
    checker.check(chain)
    assert [record.actor for record in chain] == ["database", "database", "alice"]
    assert checker.broken is None
    assert checker.checked == 3


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_bulk_statement__of_10000_rows_on_postgresql__bumps_the_version_once(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given
    add_flags(uow_factory)
    with engine.connect() as connection:
        before = state_version(connection)

    # When
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customer_feature_flags (customer_id, feature_name, environment, enabled, value, "
                "reason, created_by) SELECT 'c' || n, 'phase2_enhanced_storage', 'production', true, "
                "'true', '', 'sql' FROM generate_series(1, 10000) AS n"
            )
        )

    # Then
    with engine.connect() as connection:
        assert state_version(connection) == before + 1
        audited = connection.execute(
            text("SELECT count(*) FROM feature_flag_changes WHERE actor = 'database' AND scope = 'customer'")
        ).scalar()
    assert audited == 10_000


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_change__on_postgresql__notifies_listeners_with_the_new_version(
    engine: Engine, uow_factory: SqlUnitOfWorkFactory, database_url: str
) -> None:
    # Given
    add_flags(uow_factory, rollout_environment="production")
    with psycopg.connect(libpq_url(database_url), autocommit=True) as listener:
        listener.execute("LISTEN flagpilot_changes")

        # When
        with engine.begin() as connection:
            connection.execute(text(EMERGENCY))
            version = state_version(connection)

        # Then
        payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert payloads == [str(version)]
