"""The tenant-only policies name the role in force, not every member of it.

`<table>_tenant_required` was a restrictive policy `TO flagpilot_tenant`. PostgreSQL applies a
policy to the role it names and to every role that inherits its privileges, and the migration
makes the migrating user a member of `flagpilot_tenant` so that organization-scoped units of
work can `SET LOCAL ROLE` to it. When that user is a superuser, policies never bind it; when it
is an ordinary owner, as on managed PostgreSQL services, the tenant-only policy bound the
service itself: without an organization setting it saw no tenant row and could write none, so
token and override writes were refused and overrides were invisible. The policy now applies to
every role and asks whether the role in force (`current_user`) is `flagpilot_tenant`, which is
true exactly inside an organization-scoped unit of work.

Revision ID: 0007_tenant_policy_role
Revises: 0006_ui_sessions
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_tenant_policy_role"
down_revision: str | Sequence[str] | None = "0006_ui_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "flagpilot_tenant"
SETTING = "current_setting('app.organization_id', true)"
TENANT_TABLES = {
    "organizations": "id",
    "customers": "organization_id",
    "customer_feature_flags": "organization_id",
    "organization_feature_flags": "organization_id",
    "api_tokens": "organization_id",
}


def _policy(table: str) -> str:
    return f"{table}_tenant_required"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in TENANT_TABLES.items():
        scope = f"(current_user <> '{ROLE}' OR {column} = {SETTING})"
        op.execute(f"DROP POLICY IF EXISTS {_policy(table)} ON {table}")
        op.execute(
            f"CREATE POLICY {_policy(table)} ON {table} AS RESTRICTIVE USING {scope} WITH CHECK {scope}"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in TENANT_TABLES.items():
        scope = f"({column} = {SETTING})"
        op.execute(f"DROP POLICY IF EXISTS {_policy(table)} ON {table}")
        op.execute(
            f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN "
            f"CREATE POLICY {_policy(table)} ON {table} AS RESTRICTIVE TO {ROLE} "
            f"USING {scope} WITH CHECK {scope}; END IF; END $$"
        )
