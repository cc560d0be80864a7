"""A tenant session cannot shadow the tables the change triggers use with temporary tables.

The trigger functions run as their owner (`SECURITY DEFINER`); PostgreSQL looks up unqualified
table names in the session's temporary schema first. A tenant that creates a temporary
`app_transactions` (with a row) would make its hand-written change look like the application's
and skip the audit row; a temporary `state_version` would swallow the version bump, and with it
the change notification. Pinned search paths and schema-qualified names make both impossible.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, text

from tests.integration.storage.test_row_level_security import FLAG, two_organizations  # noqa: F401

pytestmark = pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])

_HAND_WRITE = (
    "UPDATE customer_feature_flags SET value = 'false', enabled = false "
    "WHERE organization_id = 'A' AND feature_name = :flag"
)


def _audited_and_version(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        audited = connection.execute(
            text("SELECT count(*) FROM feature_flag_changes WHERE actor = 'database'")
        ).scalar_one()
        version = connection.execute(text("SELECT version FROM state_version WHERE id = 1")).scalar_one()
    return int(audited), int(version)


def _as_tenant_a(connection: Connection) -> None:
    connection.execute(text("SET LOCAL ROLE flagpilot_tenant"))
    connection.execute(text("SELECT set_config('app.organization_id', 'A', true)"))


SHADOWS = {
    "app_transactions": (
        "CREATE TEMPORARY TABLE app_transactions (id bigint, actor text) ON COMMIT DROP",
        "INSERT INTO pg_temp.app_transactions VALUES (1, 'forged')",
    ),
    "state_version": (
        "CREATE TEMPORARY TABLE state_version (id int, version bigint) ON COMMIT DROP",
        "INSERT INTO pg_temp.state_version VALUES (1, 0)",
    ),
}


@pytest.mark.parametrize("shadowed", SHADOWS)
def test_temporary_table_shadowing_app_transactions_or_state_version__hides_no_change(
    two_organizations: Engine,  # noqa: F811
    shadowed: str,
) -> None:
    # Given: the tenant's temporary table of the same name, with a row in it
    before = _audited_and_version(two_organizations)
    with two_organizations.begin() as connection:
        _as_tenant_a(connection)
        for statement in SHADOWS[shadowed]:
            connection.execute(text(statement))
        # When: a hand-written change in the same session
        changed = connection.execute(text(_HAND_WRITE), {"flag": FLAG})
        assert changed.rowcount == 1
    # Then: audited as the database's, and the version (with its notification) moved
    audited, version = _audited_and_version(two_organizations)
    assert audited == before[0] + 1
    assert version > before[1]


def test_temporary_audit_table__does_not_receive_the_audit_row(two_organizations: Engine) -> None:  # noqa: F811
    before = _audited_and_version(two_organizations)
    with two_organizations.begin() as connection:
        _as_tenant_a(connection)
        connection.execute(
            text(
                "CREATE TEMPORARY TABLE feature_flag_changes (id serial, changed_at timestamptz, "
                "actor text, action text, feature_name text, environment text, scope text, "
                "subject_id text, before_value text, after_value text, reason text, prev_hash text, "
                "hash text) ON COMMIT DROP"
            )
        )
        connection.execute(text(_HAND_WRITE), {"flag": FLAG})
        captured = connection.execute(text("SELECT count(*) FROM pg_temp.feature_flag_changes")).scalar_one()
    assert captured == 0
    assert _audited_and_version(two_organizations)[0] == before[0] + 1


def test_every_security_definer_function__has_a_pinned_search_path_ending_in_pg_temp(engine: Engine) -> None:
    with engine.connect() as connection:
        settings = connection.execute(
            text(
                "SELECT p.proname, array_to_string(p.proconfig, ',') FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND p.prosecdef"
            )
        ).all()
    assert settings, "the change triggers run SECURITY DEFINER functions"
    for name, config in settings:
        assert config is not None, name
        assert config.startswith("search_path=pg_catalog,"), (name, config)
        assert config.endswith("pg_temp"), (name, config)
