"""Row-level security on PostgreSQL: a tenant session sees and changes only its organization.

A session that set `app.organization_id` reads and writes only that organization's rows of the
tenant tables; the service role (no setting) sees all. Superusers and table owners would bypass
the policies, so org-scoped units of work switch to the NOLOGIN role `flagpilot_tenant`, and
every table here has FORCE ROW LEVEL SECURITY so that even the owner obeys them.

The feature tables that belong to no tenant get policies too: tenants may read rollouts and
their events, only the service role may change them, and the audit trail is append-only for
everybody and readable only by the service role. A sealed audit row cannot be updated by
anyone bound by the policies.

Roles are global to the cluster and many databases share one: the role is created only if
absent (and a missing CREATEROLE privilege is a warning, not a failure), and downgrading drops
this database's policies and grants, never the role.

Revision ID: 0003_row_level_security
Revises: 0002_change_triggers
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_row_level_security"
down_revision: str | Sequence[str] | None = "0002_change_triggers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "flagpilot_tenant"
SETTING = "current_setting('app.organization_id', true)"
SERVICE = f"coalesce({SETTING}, '') = ''"

TENANT_TABLES = {
    "organizations": "id",
    "customers": "organization_id",
    "customer_feature_flags": "organization_id",
    "organization_feature_flags": "organization_id",
    "api_tokens": "organization_id",
}
READABLE_TABLES = ("environments", "flags", "flag_environments", "feature_rollouts", "rollout_events")
SERVICE_WRITTEN_TABLES = ("feature_rollouts", "rollout_events")
AUDIT_TABLE = "feature_flag_changes"
SEQUENCE_TABLES = ("customer_feature_flags", "organization_feature_flags")


def _role_exists_block(body: str) -> str:
    return f"""
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
        {body}
    END IF;
END $$;
"""


_CREATE_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
        CREATE ROLE {ROLE} NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created meanwhile by a migration of another database
    WHEN insufficient_privilege THEN
        RAISE WARNING 'flagpilot: cannot create role {ROLE}: %', SQLERRM;
END $$;
"""

_JOIN_ROLE = f"""
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}')
       AND NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
        EXECUTE format('GRANT {ROLE} TO %I', current_user);
    END IF;
EXCEPTION
    WHEN insufficient_privilege OR invalid_grant_operation THEN
        RAISE WARNING 'flagpilot: cannot grant {ROLE} to %: %', current_user, SQLERRM;
END $$;
"""


def _grants() -> str:
    tenant = ", ".join(TENANT_TABLES)
    readable = ", ".join(READABLE_TABLES)
    sequences = " ".join(
        f"EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {ROLE}', pg_get_serial_sequence('{t}', 'id'));"
        for t in SEQUENCE_TABLES
    )
    return _role_exists_block(
        f"EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ROLE}', current_schema()); "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tenant} TO {ROLE}; "
        f"GRANT SELECT ON {readable} TO {ROLE}; "
        f"{sequences}"
    )


def _revokes() -> str:
    tables = ", ".join((*TENANT_TABLES, *READABLE_TABLES))
    sequences = " ".join(
        f"EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM {ROLE}', pg_get_serial_sequence('{t}', 'id'));"
        for t in SEQUENCE_TABLES
    )
    return _role_exists_block(f"REVOKE ALL ON {tables} FROM {ROLE}; {sequences}")


def _tenant_policies(table: str, column: str) -> list[str]:
    scope = f"({SERVICE} OR {column} = {SETTING})"
    return [
        f"CREATE POLICY {table}_organization_scope ON {table} USING {scope} WITH CHECK {scope}",
        _role_exists_block(
            f"CREATE POLICY {table}_tenant_required ON {table} AS RESTRICTIVE TO {ROLE} "
            f"USING ({column} = {SETTING}) WITH CHECK ({column} = {SETTING});"
        ),
    ]


def _policies() -> dict[str, list[str]]:
    policies = {table: _tenant_policies(table, column) for table, column in TENANT_TABLES.items()}
    for table in SERVICE_WRITTEN_TABLES:
        policies[table] = [
            f"CREATE POLICY {table}_read ON {table} FOR SELECT USING (true)",
            f"CREATE POLICY {table}_service_write ON {table} USING ({SERVICE}) WITH CHECK ({SERVICE})",
        ]
    policies[AUDIT_TABLE] = [
        f"CREATE POLICY {AUDIT_TABLE}_append ON {AUDIT_TABLE} FOR INSERT WITH CHECK (true)",
        f"CREATE POLICY {AUDIT_TABLE}_service_read ON {AUDIT_TABLE} FOR SELECT USING ({SERVICE})",
        f"CREATE POLICY {AUDIT_TABLE}_service_seal ON {AUDIT_TABLE} FOR UPDATE "
        f"USING (hash IS NULL AND {SERVICE}) WITH CHECK ({SERVICE})",
    ]
    return policies


def _policy_names(table: str) -> list[str]:
    return [statement.split()[2] for statement in _policies()[table] if statement.startswith("CREATE")] + [
        f"{table}_tenant_required"
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_CREATE_ROLE)
    op.execute(_JOIN_ROLE)
    op.execute(_grants())
    for table, statements in _policies().items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        for statement in statements:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _policies():
        for name in _policy_names(table):
            op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(_revokes())
