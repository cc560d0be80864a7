"""The schema: flags, environments, overrides, rollouts, audit trail, tokens.

Indexes cover every lookup path (see docs/storage.md); comments land on PostgreSQL.

Revision ID: 0001_schema
Revises:
Create Date: 2026-11-24 11:19:57.397549
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_schema"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False, comment="Public token id."),
        sa.Column("token_hash", sa.String(length=64), nullable=False, comment="sha256 of the secret."),
        sa.Column(
            "kind",
            sa.String(length=16),
            nullable=False,
            comment="admin, editor, viewer, server-sdk or client-sdk.",
        ),
        sa.Column("name", sa.Text(), nullable=False, comment="Label."),
        sa.Column("organization_id", sa.String(length=128), nullable=True, comment="Scope, if any."),
        sa.Column("environment", sa.String(length=64), nullable=True, comment="SDK tokens: environment."),
        sa.Column("created_by", sa.String(length=128), nullable=False, comment="Actor."),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.Column(
            "last_used_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the token was last presented.",
        ),
        sa.Column(
            "revoked_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the token was revoked; null while valid.",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
        comment="Bearer API tokens, stored as sha256 hashes.",
    )
    op.create_index("ix_api_tokens_organization_id", "api_tokens", ["organization_id"], unique=False)

    op.create_table(
        "app_transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="Surrogate key."),
        sa.Column("actor", sa.String(length=128), nullable=False, comment="Who runs the transaction."),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_transactions")),
        comment="Marker rows the application writes (and deletes) inside its own write "
        "transactions, so triggers can tell its changes from direct SQL.",
    )
    op.create_table(
        "environments",
        sa.Column("name", sa.String(length=64), nullable=False, comment="Environment name."),
        sa.Column("description", sa.Text(), nullable=False, comment="What the environment is for."),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_environments")),
        comment="Deployment environments (development, staging, production, ...).",
    )
    op.create_table(
        "feature_flag_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="Surrogate key."),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When.",
        ),
        sa.Column("actor", sa.String(length=128), nullable=False, comment="Who ('database' for direct SQL)."),
        sa.Column("action", sa.String(length=64), nullable=False, comment="What kind of change."),
        sa.Column("feature_name", sa.String(length=128), nullable=True, comment="Flag key, if any."),
        sa.Column("environment", sa.String(length=64), nullable=True, comment="Environment, if any."),
        sa.Column(
            "scope",
            sa.String(length=32),
            nullable=False,
            comment="flag, environment, organization, customer, rollout, token, ...",
        ),
        sa.Column("subject_id", sa.String(length=128), nullable=True, comment="Customer/org/token id."),
        sa.Column("before_value", sa.Text(), nullable=True, comment="JSON before the change."),
        sa.Column("after_value", sa.Text(), nullable=True, comment="JSON after the change."),
        sa.Column("reason", sa.Text(), nullable=False, comment="Why."),
        sa.Column("prev_hash", sa.String(length=64), nullable=True, comment="Hash of the previous row."),
        sa.Column(
            "hash",
            sa.String(length=64),
            nullable=True,
            comment="sha256 over this row and prev_hash; null until sealed.",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_flag_changes")),
        comment="Audit trail of every change; each row's hash chains to the previous row.",
    )
    op.create_index(
        "ix_feature_flag_changes_actor_changed_at",
        "feature_flag_changes",
        ["actor", "changed_at"],
        unique=False,
    )
    op.create_index(
        "ix_feature_flag_changes_changed_at", "feature_flag_changes", ["changed_at"], unique=False
    )
    op.create_index(
        "ix_feature_flag_changes_feature_name_changed_at",
        "feature_flag_changes",
        ["feature_name", "changed_at"],
        unique=False,
    )
    op.create_index(
        "ix_feature_flag_changes_unsealed",
        "feature_flag_changes",
        ["id"],
        unique=False,
        sqlite_where=sa.text("hash IS NULL"),
        postgresql_where=sa.text("hash IS NULL"),
    )

    op.create_table(
        "flags",
        sa.Column("key", sa.String(length=128), nullable=False, comment="Flag key."),
        sa.Column(
            "type",
            sa.String(length=16),
            server_default="bool",
            nullable=False,
            comment="bool, string, number or json.",
        ),
        sa.Column(
            "default_value", sa.JSON(), nullable=False, comment="Value when nothing more specific applies."
        ),
        sa.Column("phase", sa.Integer(), nullable=True, comment="Release phase 1, 2, 3 or null."),
        sa.Column("description", sa.Text(), nullable=False, comment="What the flag controls."),
        sa.Column("prerequisites", sa.JSON(), nullable=False, comment="Flags that must be on."),
        sa.Column(
            "archived",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="Archived flags are not served.",
        ),
        sa.Column(
            "version",
            sa.Integer(),
            server_default="1",
            nullable=False,
            comment="Optimistic-concurrency version.",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row last changed.",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_flags")),
        comment="Flag definitions: key, type, default value, phase.",
    )
    op.create_index("ix_flags_phase", "flags", ["phase"], unique=False)

    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=128), nullable=False, comment="Organization id."),
        sa.Column("name", sa.Text(), nullable=False, comment="Display name."),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        comment="Tenants. Row-level security: a tenant session sees its own row.",
    )
    op.create_table(
        "state_version",
        sa.Column("id", sa.Integer(), nullable=False, comment="Always 1."),
        sa.Column(
            "version", sa.BigInteger(), server_default="0", nullable=False, comment="Snapshot version."
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_version")),
        comment="One row: the version of flag state, bumped by triggers on every change.",
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="Surrogate key."),
        sa.Column("email", sa.String(length=320), nullable=False, comment="Login."),
        sa.Column("display_name", sa.Text(), nullable=False, comment="Name shown in the audit trail."),
        sa.Column("password_hash", sa.Text(), nullable=False, comment="scrypt hash."),
        sa.Column("role", sa.String(length=16), nullable=False, comment="admin, editor or viewer."),
        sa.Column("disabled", sa.Boolean(), nullable=False, comment="Disabled users cannot log in."),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        comment="Admin UI users.",
    )
    op.create_table(
        "customer_feature_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="Surrogate key."),
        sa.Column(
            "customer_id", sa.String(length=128), nullable=False, comment="Customer id (targeting key)."
        ),
        sa.Column(
            "organization_id",
            sa.String(length=128),
            nullable=True,
            comment="The customer's organization, for row-level security.",
        ),
        sa.Column("feature_name", sa.String(length=128), nullable=False, comment="Flag key."),
        sa.Column("environment", sa.String(length=64), nullable=False, comment="Environment."),
        sa.Column("enabled", sa.Boolean(), nullable=False, comment="Boolean view of the value."),
        sa.Column("value", sa.JSON(), nullable=False, comment="The override value (any flag type)."),
        sa.Column("reason", sa.Text(), nullable=False, comment="Why the override exists."),
        sa.Column("created_by", sa.String(length=128), nullable=False, comment="Actor."),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row last changed.",
        ),
        sa.ForeignKeyConstraint(
            ["environment"],
            ["environments.name"],
            name=op.f("fk_customer_feature_flags_environment_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feature_name"],
            ["flags.key"],
            name=op.f("fk_customer_feature_flags_feature_name_flags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_feature_flags")),
        sa.UniqueConstraint(
            "feature_name",
            "environment",
            "customer_id",
            name=op.f("uq_customer_feature_flags_feature_name_environment_customer_id"),
        ),
        comment="Per-customer flag overrides (most specific after the kill switch).",
    )
    op.create_index(
        "ix_customer_feature_flags_customer_id", "customer_feature_flags", ["customer_id"], unique=False
    )
    op.create_index(
        "ix_customer_feature_flags_environment", "customer_feature_flags", ["environment"], unique=False
    )
    op.create_index(
        "ix_customer_feature_flags_organization_id",
        "customer_feature_flags",
        ["organization_id"],
        unique=False,
    )

    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=128), nullable=False, comment="Customer id."),
        sa.Column("organization_id", sa.String(length=128), nullable=True, comment="Owning organization."),
        sa.Column("name", sa.Text(), nullable=False, comment="Display name."),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_customers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        comment="Customers (targeting keys), optionally in an organization.",
    )
    op.create_index("ix_customers_organization_id", "customers", ["organization_id"], unique=False)

    op.create_table(
        "feature_rollouts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="Surrogate key."),
        sa.Column("feature_name", sa.String(length=128), nullable=False, comment="Flag key."),
        sa.Column("environment", sa.String(length=64), nullable=False, comment="Environment."),
        sa.Column(
            "current_tier",
            sa.String(length=32),
            server_default="tier_0_disabled",
            nullable=False,
            comment="tier_0_disabled ... tier_4_full.",
        ),
        sa.Column(
            "percentage", sa.Float(), server_default="0", nullable=False, comment="Share of customers, 0-100."
        ),
        sa.Column(
            "status",
            sa.String(length=16),
            server_default="planned",
            nullable=False,
            comment="planned, active, paused, completed, rolled_back.",
        ),
        sa.Column(
            "whitelisted_customers",
            sa.JSON(),
            server_default="[]",
            nullable=False,
            comment="Customers who get the feature while the rollout serves.",
        ),
        sa.Column(
            "error_rate_threshold",
            sa.Float(),
            nullable=False,
            comment="Automatic rollback above this error rate.",
        ),
        sa.Column(
            "time_window_ms",
            sa.BigInteger(),
            nullable=False,
            comment="Window over which the error rate is judged (ms).",
        ),
        sa.Column(
            "min_dwell_seconds",
            sa.Integer(),
            nullable=False,
            comment="Minimum time in a tier before advancing.",
        ),
        sa.Column(
            "min_events",
            sa.Integer(),
            nullable=False,
            comment="Minimum outcome events in a tier before advancing.",
        ),
        sa.Column(
            "tier_started_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the current tier began.",
        ),
        sa.Column("rollback_reason", sa.Text(), nullable=True, comment="Why it was rolled back."),
        sa.Column(
            "version",
            sa.Integer(),
            server_default="1",
            nullable=False,
            comment="Optimistic-concurrency version.",
        ),
        sa.Column("created_by", sa.String(length=128), nullable=False, comment="Actor."),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row last changed.",
        ),
        sa.ForeignKeyConstraint(
            ["environment"],
            ["environments.name"],
            name=op.f("fk_feature_rollouts_environment_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feature_name"],
            ["flags.key"],
            name=op.f("fk_feature_rollouts_feature_name_flags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_rollouts")),
        sa.UniqueConstraint(
            "feature_name", "environment", name=op.f("uq_feature_rollouts_feature_name_environment")
        ),
        comment="Pilot rollouts: one per flag and environment, five tiers.",
    )
    op.create_index("ix_feature_rollouts_environment", "feature_rollouts", ["environment"], unique=False)
    op.create_index("ix_feature_rollouts_status", "feature_rollouts", ["status"], unique=False)

    op.create_table(
        "flag_environments",
        sa.Column("flag_key", sa.String(length=128), nullable=False, comment="Flag key."),
        sa.Column("environment", sa.String(length=64), nullable=False, comment="Environment."),
        sa.Column("killed", sa.Boolean(), server_default=sa.false(), nullable=False, comment="Kill switch."),
        sa.Column(
            "has_value",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="Whether value is set.",
        ),
        sa.Column("value", sa.JSON(), nullable=True, comment="Environment value."),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row last changed.",
        ),
        sa.ForeignKeyConstraint(
            ["environment"],
            ["environments.name"],
            name=op.f("fk_flag_environments_environment_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flag_key"], ["flags.key"], name=op.f("fk_flag_environments_flag_key_flags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("flag_key", "environment", name=op.f("pk_flag_environments")),
        comment="A flag's kill switch and environment value in one environment.",
    )
    op.create_index("ix_flag_environments_environment", "flag_environments", ["environment"], unique=False)

    op.create_table(
        "organization_feature_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="Surrogate key."),
        sa.Column("organization_id", sa.String(length=128), nullable=False, comment="Organization id."),
        sa.Column("feature_name", sa.String(length=128), nullable=False, comment="Flag key."),
        sa.Column("environment", sa.String(length=64), nullable=False, comment="Environment."),
        sa.Column("enabled", sa.Boolean(), nullable=False, comment="Boolean view of the value."),
        sa.Column("value", sa.JSON(), nullable=False, comment="The override value (any flag type)."),
        sa.Column("reason", sa.Text(), nullable=False, comment="Why the override exists."),
        sa.Column("created_by", sa.String(length=128), nullable=False, comment="Actor."),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row last changed.",
        ),
        sa.ForeignKeyConstraint(
            ["environment"],
            ["environments.name"],
            name=op.f("fk_organization_feature_flags_environment_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feature_name"],
            ["flags.key"],
            name=op.f("fk_organization_feature_flags_feature_name_flags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_feature_flags")),
        sa.UniqueConstraint(
            "feature_name",
            "environment",
            "organization_id",
            name="uq_organization_feature_flags_flag_env_org",
        ),
        comment="Per-organization flag overrides.",
    )
    op.create_index(
        "ix_organization_feature_flags_environment",
        "organization_feature_flags",
        ["environment"],
        unique=False,
    )
    op.create_index(
        "ix_organization_feature_flags_organization_id",
        "organization_feature_flags",
        ["organization_id"],
        unique=False,
    )

    op.create_table(
        "rollout_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="Surrogate key."),
        sa.Column("rollout_id", sa.Integer(), nullable=False, comment="The rollout."),
        sa.Column("feature_name", sa.String(length=128), nullable=False, comment="Flag key."),
        sa.Column(
            "event_type", sa.String(length=32), nullable=False, comment="created, started, advanced, ..."
        ),
        sa.Column("from_tier", sa.String(length=32), nullable=True, comment="Tier before."),
        sa.Column("to_tier", sa.String(length=32), nullable=True, comment="Tier after."),
        sa.Column("from_status", sa.String(length=16), nullable=True, comment="Status before."),
        sa.Column("to_status", sa.String(length=16), nullable=True, comment="Status after."),
        sa.Column("actor", sa.String(length=128), nullable=False, comment="Who or what did it."),
        sa.Column("reason", sa.Text(), nullable=False, comment="Why."),
        sa.Column("details", sa.JSON(), nullable=True, comment="Evidence, forced gates, ..."),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["feature_rollouts.id"],
            name=op.f("fk_rollout_events_rollout_id_feature_rollouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_events")),
        comment="Rollout lifecycle transitions (created, started, advanced, rolled back, ...).",
    )
    op.create_index("ix_rollout_events_feature_name", "rollout_events", ["feature_name"], unique=False)
    op.create_index(
        "ix_rollout_events_rollout_id_created_at",
        "rollout_events",
        ["rollout_id", "created_at"],
        unique=False,
    )

    op.create_table(
        "rollout_metrics",
        sa.Column("rollout_id", sa.Integer(), nullable=False, comment="The rollout."),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False, comment="Start of the minute (UTC)."),
        sa.Column("tier", sa.String(length=32), nullable=False, comment="Tier at the time."),
        sa.Column("cohort", sa.String(length=16), nullable=False, comment="treatment or control."),
        sa.Column("successes", sa.BigInteger(), nullable=False, comment="Success outcomes."),
        sa.Column("errors", sa.BigInteger(), nullable=False, comment="Error outcomes."),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["feature_rollouts.id"],
            name=op.f("fk_rollout_metrics_rollout_id_feature_rollouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rollout_id", "minute", "tier", "cohort", name=op.f("pk_rollout_metrics")),
        comment="Outcome events aggregated per rollout, minute, tier and cohort.",
    )


def downgrade() -> None:
    op.drop_table("rollout_metrics")
    op.drop_table("rollout_events")
    op.drop_table("organization_feature_flags")
    op.drop_table("flag_environments")
    op.drop_table("feature_rollouts")
    op.drop_table("customers")
    op.drop_table("customer_feature_flags")
    op.drop_table("users")
    op.drop_table("state_version")
    op.drop_table("organizations")
    op.drop_table("flags")
    op.drop_table("feature_flag_changes")
    op.drop_table("environments")
    op.drop_table("app_transactions")
    op.drop_table("api_tokens")
