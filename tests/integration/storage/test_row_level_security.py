"""On PostgreSQL, a session confined to organization A cannot touch organization B's rows.

Tests run as a superuser, which bypasses row-level security; the confined session switches to
the `flagpilot_tenant` role exactly as organization-scoped units of work do.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from flagpilot.services.errors import PermissionDenied
from flagpilot.services.records import OverrideScope
from flagpilot.storage import SqlUnitOfWorkFactory
from tests.integration.builders import add_flags

pytestmark = pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])

FLAG = "phase2_enhanced_storage"

# table → (organization column, an INSERT of a row of organization :org)
TENANT_TABLES = {
    "organizations": ("id", "INSERT INTO organizations (id, name) VALUES (:org, '')"),
    "customers": (
        "organization_id",
        "INSERT INTO customers (id, organization_id, name) VALUES ('x-' || :org, :org, '')",
    ),
    "customer_feature_flags": (
        "organization_id",
        "INSERT INTO customer_feature_flags (customer_id, organization_id, feature_name, environment, "
        f"enabled, value, reason, created_by) VALUES ('x-' || :org, :org, '{FLAG}', 'production', true, "
        "'true', '', '')",
    ),
    "organization_feature_flags": (
        "organization_id",
        "INSERT INTO organization_feature_flags (organization_id, feature_name, environment, enabled, "
        f"value, reason, created_by) VALUES (:org, '{FLAG}', 'staging', true, 'true', '', '')",
    ),
    "api_tokens": (
        "organization_id",
        "INSERT INTO api_tokens (id, token_hash, kind, name, organization_id, created_by) "
        "VALUES ('x-' || :org, 'hash-x-' || :org, 'viewer', '', :org, '')",
    ),
}


@pytest.fixture
def two_organizations(engine: Engine, uow_factory: SqlUnitOfWorkFactory) -> Engine:
    """Organizations A and B with one row each in every tenant table."""
    add_flags(uow_factory)
    with engine.begin() as connection:
        for org in ("A", "B"):
            connection.execute(text("INSERT INTO organizations (id, name) VALUES (:org, '')"), {"org": org})
            connection.execute(
                text("INSERT INTO customers (id, organization_id, name) VALUES (:c, :org, '')"),
                {"c": f"c-{org}", "org": org},
            )
            connection.execute(
                text(
                    "INSERT INTO customer_feature_flags (customer_id, organization_id, feature_name, "
                    "environment, enabled, value, reason, created_by) "
                    f"VALUES (:c, :org, '{FLAG}', 'production', true, 'true', '', '')"
                ),
                {"c": f"c-{org}", "org": org},
            )
            connection.execute(
                text(
                    "INSERT INTO organization_feature_flags (organization_id, feature_name, environment, "
                    f"enabled, value, reason, created_by) VALUES (:org, '{FLAG}', 'production', true, "
                    "'true', '', '')"
                ),
                {"org": org},
            )
            connection.execute(
                text(
                    "INSERT INTO api_tokens (id, token_hash, kind, name, organization_id, created_by) "
                    "VALUES (:t, 'hash-' || :org, 'viewer', '', :org, '')"
                ),
                {"t": f"t-{org}", "org": org},
            )
    return engine


@pytest.fixture
def as_tenant_a(two_organizations: Engine) -> Iterator[Connection]:
    """A transaction confined to organization A, as organization-scoped units of work run."""
    with two_organizations.connect() as connection:
        connection.execute(text("SET LOCAL ROLE flagpilot_tenant"))
        connection.execute(text("SELECT set_config('app.organization_id', 'A', true)"))
        yield connection
        connection.rollback()


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_tenant_a__selects__sees_only_its_own_rows(as_tenant_a: Connection, table: str) -> None:
    column, _ = TENANT_TABLES[table]

    seen = as_tenant_a.execute(text(f"SELECT DISTINCT {column} FROM {table}")).scalars().all()

    assert seen == ["A"]


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_tenant_a__updates_and_deletes_rows_of_b__touches_nothing(
    as_tenant_a: Connection, table: str
) -> None:
    column, _ = TENANT_TABLES[table]

    updated = as_tenant_a.execute(text(f"UPDATE {table} SET {column} = {column} WHERE {column} = 'B'"))
    deleted = as_tenant_a.execute(text(f"DELETE FROM {table} WHERE {column} = 'B'"))

    assert updated.rowcount == 0
    assert deleted.rowcount == 0


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_tenant_a__inserts_a_row_of_b__is_refused(as_tenant_a: Connection, table: str) -> None:
    _, insert = TENANT_TABLES[table]

    with pytest.raises(DBAPIError, match="row-level security"):
        as_tenant_a.execute(text(insert), {"org": "B"})


def test_tenant_a__moves_its_own_row_to_b__is_refused(as_tenant_a: Connection) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        as_tenant_a.execute(text("UPDATE customer_feature_flags SET organization_id = 'B'"))


def test_tenant_role_without_organization__sees_no_tenant_rows(two_organizations: Engine) -> None:
    with two_organizations.connect() as connection:
        connection.execute(text("SET LOCAL ROLE flagpilot_tenant"))

        count = connection.execute(text("SELECT count(*) FROM customer_feature_flags")).scalar()

    assert count == 0


def test_tenant__reads_rollouts_but_neither_changes_them_nor_reads_the_audit_trail(
    as_tenant_a: Connection,
) -> None:
    as_tenant_a.execute(text("SELECT count(*) FROM feature_rollouts")).scalar()
    as_tenant_a.execute(text("SAVEPOINT s"))
    with pytest.raises(DBAPIError, match="permission denied"):
        as_tenant_a.execute(text("UPDATE feature_rollouts SET percentage = 100"))
    as_tenant_a.execute(text("ROLLBACK TO SAVEPOINT s"))
    with pytest.raises(DBAPIError, match="permission denied"):
        as_tenant_a.execute(text("SELECT count(*) FROM feature_flag_changes"))


def test_service_role__without_setting__sees_every_organization(two_organizations: Engine) -> None:
    with two_organizations.connect() as connection:
        seen = connection.execute(
            text("SELECT DISTINCT organization_id FROM customer_feature_flags")
        ).scalars()

        assert sorted(seen) == ["A", "B"]


def test_organization_scoped_unit_of_work__reads_only_its_overrides_and_cannot_write_b(
    two_organizations: Engine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # When
    with uow_factory(actor="tenant-a", organization_id="A") as uow:
        visible = uow.overrides.page(OverrideScope.ORGANIZATION, flag_key=FLAG)

    # Then
    assert [record.subject_id for record in visible] == ["A"]
    with pytest.raises(PermissionDenied), uow_factory(actor="tenant-a", organization_id="A") as uow:
        uow.overrides.put_many(OverrideScope.ORGANIZATION, FLAG, "staging", {"B": True}, reason="")
