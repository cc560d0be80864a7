"""The checklist's SQL run as written after `flagpilot init`: Step 1 and the Database Tests."""

from __future__ import annotations

import pytest

from tests.acceptance.checklist import (
    INDEXES_SQL,
    RLS_POLICIES_SQL,
    STEP1_EXPECTED_TABLES,
    STEP1_TABLES_SQL,
)
from tests.acceptance.conftest import sql

# One worker runs the whole module, so its database and servers are set up once.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("acceptance_checklist_sql")]

TENANT_TABLES = ("customer_feature_flags", "organization_feature_flags")


def test_step1_table_query__lists_the_feature_tables_and_rollout_events_exists(
    checklist_database: str,
) -> None:
    # Given a database set up by `flagpilot init`
    # When the operator runs Step 1's verification query as written
    rows = sql(checklist_database, STEP1_TABLES_SQL)

    # Then it lists the four tables whose names contain "feature". The checklist's expected
    # results also name "rollout_events", but `LIKE '%feature%'` cannot match that name, so the
    # query as written returns the other four; rollout_events is checked on its own below.
    matching = [name for name in STEP1_EXPECTED_TABLES if "feature" in name]
    assert [row[0] for row in rows] == matching
    assert sql(
        checklist_database,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = %s",
        ("rollout_events",),
    ) == [("rollout_events",)]


def test_rls_policy_query__shows_policies_on_every_feature_table(checklist_database: str) -> None:
    # Given a database set up by `flagpilot init`
    # When the operator runs the Database Tests' pg_policies query as written
    rows = sql(checklist_database, RLS_POLICIES_SQL)

    # Then every feature table has policies, the tenant tables both the organization scope and
    # the restrictive tenant rule, and those tables force row-level security even on their owner
    policies: dict[str, set[str]] = {}
    for table, policy in rows:
        policies.setdefault(table, set()).add(policy)
    assert sorted(policies) == [name for name in STEP1_EXPECTED_TABLES if "feature" in name]
    for table in TENANT_TABLES:
        assert {f"{table}_organization_scope", f"{table}_tenant_required"} <= policies[table]
    forced = sql(
        checklist_database,
        "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity AND relname = ANY(%s)",
        (list(TENANT_TABLES),),
    )
    assert sorted(row[0] for row in forced) == sorted(TENANT_TABLES)


def test_index_query__shows_an_index_on_every_lookup_path(checklist_database: str) -> None:
    # Given a database set up by `flagpilot init`
    # When the operator runs the Database Tests' pg_indexes query as written
    rows = sql(checklist_database, INDEXES_SQL)

    # Then each way the service looks rows up has its index (docs/storage.md, "Tables")
    lookup_paths = {
        ("customer_feature_flags", "uq_customer_feature_flags_feature_name_environment_customer_id"),
        ("customer_feature_flags", "ix_customer_feature_flags_customer_id"),
        ("customer_feature_flags", "ix_customer_feature_flags_organization_id"),
        ("organization_feature_flags", "uq_organization_feature_flags_flag_env_org"),
        ("organization_feature_flags", "ix_organization_feature_flags_organization_id"),
        ("feature_rollouts", "uq_feature_rollouts_feature_name_environment"),
        ("feature_rollouts", "ix_feature_rollouts_status"),
        ("feature_flag_changes", "ix_feature_flag_changes_feature_name_changed_at"),
        ("feature_flag_changes", "ix_feature_flag_changes_actor_changed_at"),
        ("feature_flag_changes", "ix_feature_flag_changes_changed_at"),
    }
    assert lookup_paths <= set(rows)
