"""Pin the search path of the change-trigger functions and schema-qualify what they touch.

The trigger functions run `SECURITY DEFINER`, with the owner's rights, and named their tables
without a schema under the search path of the migration. PostgreSQL searches a session's
temporary schema first for tables, so a tenant session that created a temporary table called
`app_transactions` (with a row in it) made its own hand-written changes look like the
application's and skipped the audit row; a temporary `state_version` swallowed the version bump
and so the change notification. Every function now names its tables and helper by schema, and
runs with `search_path = pg_catalog, <schema>, pg_temp`: the temporary schema last, where it
can shadow nothing, as PostgreSQL's guide to writing SECURITY DEFINER functions advises.

Revision ID: 0005_pinned_search_path
Revises: 0004_token_hint
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0005_pinned_search_path"
down_revision: str | Sequence[str] | None = "0004_token_hint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOUCHED = ("feature_flag_changes", "state_version", "app_transactions")
HELPER = "flagpilot_note_change"

_FUNCTIONS = text(
    "SELECT p.oid, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = current_schema() AND p.prosecdef AND p.proname LIKE 'flagpilot\\_%'"
)


def _qualified(definition: str, schema: str) -> str:
    """`definition` with every reference to the touched tables and the helper schema-qualified."""
    tables = "|".join(TOUCHED)
    definition = re.sub(
        rf"\b(FROM|INTO|UPDATE|JOIN)\s+({tables})\b", rf"\1 {schema}.\2", definition, flags=re.IGNORECASE
    )
    return re.sub(rf"(?<![.\w]){HELPER}\(\)", f"{schema}.{HELPER}()", definition)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite has neither SECURITY DEFINER functions nor temporary-schema lookup
    schema = bind.execute(text("SELECT quote_ident(current_schema())")).scalar_one()
    functions = bind.execute(_FUNCTIONS).all()
    # The helper first: the others' new bodies call it by its qualified name.
    for oid, name in sorted(functions, key=lambda row: row.proname != HELPER):
        definition = bind.execute(text("SELECT pg_get_functiondef(:oid)"), {"oid": oid}).scalar_one()
        op.execute(text(_qualified(definition, schema)).execution_options(no_parameters=True))
        op.execute(f"ALTER FUNCTION {schema}.{name}() SET search_path = pg_catalog, {schema}, pg_temp")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.execute(text("SELECT quote_ident(current_schema())")).scalar_one()
    for _oid, name in bind.execute(_FUNCTIONS).all():
        op.execute(f"ALTER FUNCTION {schema}.{name}() SET search_path FROM CURRENT")
