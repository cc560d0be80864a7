"""Change triggers: every write to flag state bumps the state version, notifies, and is audited.

On the five flag-state tables, triggers (1) bump `state_version.version`, (2) on PostgreSQL send
`pg_notify('flagpilot_changes', <version>)` so every server rebuilds its snapshots, and (3) when
the change did not come from the application, write a `feature_flag_changes` row with actor
`database`. The application marks its own write transactions with a row in `app_transactions`
(uncommitted, so invisible to every other transaction); a transaction without that marker is
somebody's hand-written SQL.

PostgreSQL uses statement-level triggers with transition tables and bumps the version once per
transaction, so a 10,000-row bulk write costs one bump and one notification. SQLite has only
row-level triggers; its writers are serialised anyway and a bump is one in-page update.

Revision ID: 0002_change_triggers
Revises: 0001_schema
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from alembic import op

revision: str = "0002_change_triggers"
down_revision: str | Sequence[str] | None = "0001_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "flagpilot_changes"
REASON = "changed by direct SQL"


class _Table(NamedTuple):
    name: str
    scope: str
    keys: tuple[str, ...]
    feature: str
    environment: str | None
    subject: str | None
    columns: tuple[str, ...]
    json_columns: tuple[str, ...] = ()


TABLES = (
    _Table(
        "flags",
        "flag",
        ("key",),
        "key",
        None,
        None,
        ("key", "type", "default_value", "phase", "description", "prerequisites", "archived", "version"),
        ("default_value", "prerequisites"),
    ),
    _Table(
        "flag_environments",
        "environment",
        ("flag_key", "environment"),
        "flag_key",
        "environment",
        None,
        ("flag_key", "environment", "killed", "has_value", "value"),
        ("value",),
    ),
    _Table(
        "customer_feature_flags",
        "customer",
        ("id",),
        "feature_name",
        "environment",
        "customer_id",
        ("id", "customer_id", "organization_id", "feature_name", "environment", "enabled", "value", "reason"),
        ("value",),
    ),
    _Table(
        "organization_feature_flags",
        "organization",
        ("id",),
        "feature_name",
        "environment",
        "organization_id",
        ("id", "organization_id", "feature_name", "environment", "enabled", "value", "reason"),
        ("value",),
    ),
    _Table(
        "feature_rollouts",
        "rollout",
        ("id",),
        "feature_name",
        "environment",
        None,
        (
            "id",
            "feature_name",
            "environment",
            "current_tier",
            "percentage",
            "status",
            "whitelisted_customers",
            "error_rate_threshold",
            "time_window_ms",
            "min_dwell_seconds",
            "min_events",
            "tier_started_at",
            "rollback_reason",
            "version",
        ),
        ("whitelisted_customers",),
    ),
)

_AUDIT_COLUMNS = (
    "changed_at, actor, action, feature_name, environment, scope, subject_id, "
    "before_value, after_value, reason"
)


def _col(alias: str, column: str | None, *, pair: str | None = None) -> str:
    if column is None:
        return "NULL"
    if pair is None:
        return f"{alias}.{column}"
    return f"COALESCE({alias}.{column}, {pair}.{column})"


# ---------------------------------------------------------------- PostgreSQL

_PG_NOTE_CHANGE = f"""
CREATE FUNCTION flagpilot_note_change() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    new_version bigint;
BEGIN
    -- Once per transaction: the version names a committed state, not a statement.
    IF current_setting('flagpilot.bumped_in', true) = txid_current()::text THEN
        RETURN;
    END IF;
    UPDATE state_version SET version = version + 1 WHERE id = 1 RETURNING version INTO new_version;
    PERFORM set_config('flagpilot.bumped_in', txid_current()::text, true);
    PERFORM pg_notify('{CHANNEL}', new_version::text);
END $$;

CREATE FUNCTION flagpilot_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM flagpilot_note_change();
    RETURN NULL;
END $$;
"""


def _pg_audit_function(table: _Table) -> str:
    join = " AND ".join(f"o.{key} = n.{key}" for key in table.keys)
    order = ", ".join(f"n.{key}" for key in table.keys)
    old_order = ", ".join(f"o.{key}" for key in table.keys)

    def select(before: str, after: str, source: str, action: str, alias: str, pair: str | None) -> str:
        return (
            f"INSERT INTO feature_flag_changes ({_AUDIT_COLUMNS}) "
            f"SELECT now(), 'database', 'database.{action}', {_col(alias, table.feature, pair=pair)}, "
            f"{_col(alias, table.environment, pair=pair)}, '{table.scope}', "
            f"{_col(alias, table.subject, pair=pair)}, {before}, {after}, '{REASON}' FROM {source}"
        )

    insert = select("NULL", "to_jsonb(n)::text", "new_rows n", "insert", "n", None)
    insert += f" ORDER BY {order};"
    delete = select("to_jsonb(o)::text", "NULL", "old_rows o", "delete", "o", None)
    delete += f" ORDER BY {old_order};"
    update = (
        select(
            "to_jsonb(o)::text",
            "to_jsonb(n)::text",
            f"old_rows o FULL JOIN new_rows n ON {join}",
            "update",
            "n",
            "o",
        )
        + f" WHERE to_jsonb(o) IS DISTINCT FROM to_jsonb(n) ORDER BY {order}, {old_order};"
    )
    return f"""
CREATE FUNCTION flagpilot_changed_{table.name}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM old_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM flagpilot_note_change();
    IF EXISTS (SELECT 1 FROM app_transactions) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        {insert}
    ELSIF TG_OP = 'DELETE' THEN
        {delete}
    ELSE
        {update}
    END IF;
    RETURN NULL;
END $$;
"""


def _pg_triggers(table: _Table) -> list[str]:
    function = f"flagpilot_changed_{table.name}()"
    return [
        f"CREATE TRIGGER flagpilot_changed_insert AFTER INSERT ON {table.name} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        f"CREATE TRIGGER flagpilot_changed_update AFTER UPDATE ON {table.name} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        f"CREATE TRIGGER flagpilot_changed_delete AFTER DELETE ON {table.name} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        f"CREATE TRIGGER flagpilot_changed_truncate AFTER TRUNCATE ON {table.name} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION flagpilot_truncated()",
    ]


def _upgrade_postgresql() -> None:
    op.execute(_PG_NOTE_CHANGE)
    for table in TABLES:
        op.execute(_pg_audit_function(table))
        for statement in _pg_triggers(table):
            op.execute(statement)


def _downgrade_postgresql() -> None:
    for table in TABLES:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS flagpilot_changed_{event} ON {table.name}")
        op.execute(f"DROP FUNCTION IF EXISTS flagpilot_changed_{table.name}()")
    op.execute("DROP FUNCTION IF EXISTS flagpilot_truncated()")
    op.execute("DROP FUNCTION IF EXISTS flagpilot_note_change()")


# ---------------------------------------------------------------- SQLite


def _sqlite_row_json(table: _Table, alias: str) -> str:
    pairs = ", ".join(
        f"'{column}', " + (f"json({alias}.{column})" if column in table.json_columns else f"{alias}.{column}")
        for column in table.columns
    )
    return f"json_object({pairs})"


def _sqlite_triggers(table: _Table) -> list[str]:
    statements = []
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    for event, alias, before, after in (
        ("insert", "NEW", "NULL", _sqlite_row_json(table, "NEW")),
        ("update", "NEW", _sqlite_row_json(table, "OLD"), _sqlite_row_json(table, "NEW")),
        ("delete", "OLD", _sqlite_row_json(table, "OLD"), "NULL"),
    ):
        statements.append(
            f"CREATE TRIGGER flagpilot_{table.name}_{event}_version AFTER {event.upper()} ON {table.name} "
            "BEGIN UPDATE state_version SET version = version + 1 WHERE id = 1; END"
        )
        statements.append(
            f"CREATE TRIGGER flagpilot_{table.name}_{event}_audit AFTER {event.upper()} ON {table.name} "
            "WHEN NOT EXISTS (SELECT 1 FROM app_transactions) "
            f"BEGIN INSERT INTO feature_flag_changes ({_AUDIT_COLUMNS}, prev_hash, hash) VALUES ("
            f"{now}, 'database', 'database.{event}', {_col(alias, table.feature)}, "
            f"{_col(alias, table.environment)}, '{table.scope}', {_col(alias, table.subject)}, "
            f"{before}, {after}, '{REASON}', NULL, NULL); END"
        )
    return statements


def _upgrade_sqlite() -> None:
    for table in TABLES:
        for statement in _sqlite_triggers(table):
            op.execute(statement)


def _downgrade_sqlite() -> None:
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS flagpilot_{table.name}_{event}_version")
            op.execute(f"DROP TRIGGER IF EXISTS flagpilot_{table.name}_{event}_audit")


def upgrade() -> None:
    op.execute("INSERT INTO state_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _downgrade_postgresql()
    else:
        _downgrade_sqlite()
    op.execute("DELETE FROM state_version WHERE id = 1")
