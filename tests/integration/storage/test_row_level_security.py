"""On PostgreSQL, a session confined to organization A cannot touch organization B's rows.

Raw SQL as the tenant role against every table of the schema, found in the catalogue so that a
table added without a decision (and policies, if tenants reach it) fails by name: selects,
updates, deletes, re-homing a row (to B, to A, to no organization) and inserts for another
organization. Tests run as a superuser, which bypasses row-level security; the confined session
switches to the `flagpilot_tenant` role exactly as organization-scoped units of work do.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from flagpilot.services.errors import PermissionDenied
from flagpilot.services.stored_records import OverrideScope
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


# Tables every tenant may read whole: definitions shared by all organizations, no tenant data.
SHARED_DEFINITIONS = frozenset({"environments", "flags", "flag_environments"})
# Tables tenants may read but only the service role writes (policies say so).
SERVICE_WRITTEN = frozenset({"feature_rollouts", "rollout_events"})
# Append-only for everybody, readable by the service role only (policies say so).
AUDIT = frozenset({"feature_flag_changes"})
# Tables the tenant role has no privilege on at all.
SERVICE_ONLY = frozenset(
    {
        "alembic_version",
        "alert_acknowledgements",
        "app_transactions",
        "flag_evaluations",
        "login_failures",
        "rollout_metrics",
        "state_version",
        "ui_sessions",
        "users",
    }
)
CLASSIFIED = frozenset(TENANT_TABLES) | SHARED_DEFINITIONS | SERVICE_WRITTEN | AUDIT | SERVICE_ONLY
WRITES = ("INSERT", "UPDATE", "DELETE")


def _schema_tables(connection: Connection) -> set[str]:
    return set(
        connection.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
            )
        ).scalars()
    )


def _tenant_privileges(connection: Connection, table: str) -> set[str]:
    return {
        privilege
        for privilege in ("SELECT", *WRITES)
        if connection.execute(
            text("SELECT has_table_privilege('flagpilot_tenant', CAST(:t AS regclass), :p)"),
            {"t": table, "p": privilege},
        ).scalar_one()
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


def test_every_table_of_the_schema__is_classified_for_tenants(engine: Engine) -> None:
    # A table added without deciding what tenants may do with it fails here, by name.
    with engine.connect() as connection:
        tables = _schema_tables(connection)

    assert tables - CLASSIFIED == set(), "classify each new table (and give it policies if tenants reach it)"
    assert CLASSIFIED - tables == set()


def test_every_table_with_an_organization__is_a_tenant_table_with_its_test_rows(engine: Engine) -> None:
    with engine.connect() as connection:
        with_organization = set(
            connection.execute(
                text(
                    "SELECT table_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND column_name = 'organization_id'"
                )
            ).scalars()
        )

    assert with_organization | {"organizations"} == set(TENANT_TABLES)


def test_every_table_the_tenant_role_reaches__forces_row_level_security_with_policies(
    engine: Engine,
) -> None:
    with engine.connect() as connection:
        for table in sorted(_schema_tables(connection)):
            privileges = _tenant_privileges(connection, table)
            if table in SHARED_DEFINITIONS:
                assert privileges == {"SELECT"}, table
                continue
            if table in SERVICE_ONLY:
                assert privileges == set(), table
                continue
            if table in SERVICE_WRITTEN:
                assert privileges == {"SELECT"}, table
            rls, forced = connection.execute(
                text(
                    "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                    "WHERE oid = CAST(:t AS regclass)"
                ),
                {"t": table},
            ).one()
            policies = connection.execute(
                text(
                    "SELECT count(*) FROM pg_policies WHERE schemaname = current_schema() AND tablename = :t"
                ),
                {"t": table},
            ).scalar_one()
            assert (table, rls, forced) == (table, True, True)
            assert policies > 0, table


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_tenant_a__re_homes_its_own_row_to_b__is_refused(as_tenant_a: Connection, table: str) -> None:
    column, _ = TENANT_TABLES[table]

    with pytest.raises(DBAPIError, match="row-level security"):
        as_tenant_a.execute(text(f"UPDATE {table} SET {column} = 'B' WHERE {column} = 'A'"))


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_tenant_a__re_homes_bs_row_to_itself__touches_nothing(as_tenant_a: Connection, table: str) -> None:
    column, _ = TENANT_TABLES[table]

    moved = as_tenant_a.execute(text(f"UPDATE {table} SET {column} = 'A' WHERE {column} = 'B'"))

    assert moved.rowcount == 0


@pytest.mark.parametrize("table", sorted(set(TENANT_TABLES) - {"organizations"}))
def test_tenant_a__moves_its_own_row_out_of_every_organization__is_refused(
    as_tenant_a: Connection, table: str
) -> None:
    # A row without an organization is the service role's: a tenant must not hand one over.
    column, _ = TENANT_TABLES[table]

    with pytest.raises(DBAPIError, match="row-level security"):
        as_tenant_a.execute(text(f"UPDATE {table} SET {column} = NULL WHERE {column} = 'A'"))


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_tenant_a__counts_and_reads_b_by_key__finds_nothing(as_tenant_a: Connection, table: str) -> None:
    column, _ = TENANT_TABLES[table]

    counted = as_tenant_a.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = 'B'")).scalar_one()
    anything = as_tenant_a.execute(text(f"SELECT count(*) FROM {table} WHERE {column} IS DISTINCT FROM 'A'"))

    assert counted == 0
    assert anything.scalar_one() == 0


def test_tenant__every_table_outside_its_reach__refuses_every_statement(as_tenant_a: Connection) -> None:
    # Every non-tenant table of the schema, found there, so that a new one is probed too; the
    # shared ones may be read, and nothing of any of them written. Not even an append to the
    # audit trail: the change triggers write it, as its owner.
    probed: dict[str, list[str]] = {}
    expected: dict[str, list[str]] = {}
    for table in sorted(_schema_tables(as_tenant_a) - set(TENANT_TABLES)):
        column = _first_column(as_tenant_a, table)
        statements = {
            "INSERT": f"INSERT INTO {table} DEFAULT VALUES",
            "UPDATE": f"UPDATE {table} SET {column} = {column}",
            "DELETE": f"DELETE FROM {table}",
            "SELECT": f"SELECT * FROM {table}",
        }
        readable = table in SHARED_DEFINITIONS | SERVICE_WRITTEN
        expected[table] = [verb for verb in statements if verb != "SELECT" or not readable]
        probed[table] = [verb for verb, statement in statements.items() if _refused(as_tenant_a, statement)]

    assert probed == expected


def _refused(connection: Connection, statement: str) -> bool:
    connection.execute(text("SAVEPOINT probe"))
    try:
        connection.execute(text(statement))
    except DBAPIError as exc:
        if "permission denied" not in str(exc) and "row-level security" not in str(exc):
            raise
        return True
    finally:
        connection.execute(text("ROLLBACK TO SAVEPOINT probe"))
    return False


def _first_column(connection: Connection, table: str) -> str:
    # pg_attribute, not information_schema: the latter hides the columns of tables the role
    # has no privilege on, which are exactly the ones probed here.
    name: str = connection.execute(
        text(
            "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum LIMIT 1"
        ),
        {"t": table},
    ).scalar_one()
    return name
