"""State every replica shares instead of keeping it in memory: alert acknowledgements, failed
sign-ins (the login throttle) and when each flag was last evaluated in each environment.

Revision ID: 0008_shared_ui_state
Revises: 0007_tenant_policy_role
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_shared_ui_state"
down_revision: str | Sequence[str] | None = "0007_tenant_policy_role"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_acknowledgements",
        sa.Column("alert_id", sa.String(length=255), nullable=False, comment="The alert's deterministic id."),
        sa.Column(
            "acknowledged_by", sa.String(length=128), nullable=False, comment="Actor who acknowledged it."
        ),
        sa.Column(
            "acknowledged_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When.",
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alert_acknowledgements")),
        comment="Rollout alerts someone has seen; the first acknowledgement is kept.",
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="Surrogate key."),
        sa.Column("login", sa.String(length=320), nullable=False, comment="The user name tried."),
        sa.Column(
            "failed_at", sa.DateTime(timezone=True), nullable=False, comment="When the sign-in failed."
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
        comment="Recent failed admin UI sign-ins, for the throttle every replica applies; "
        "rows older than the throttle's window are deleted.",
    )
    op.create_index(op.f("ix_login_failures_login_failed_at"), "login_failures", ["login", "failed_at"])
    op.create_index(op.f("ix_login_failures_failed_at"), "login_failures", ["failed_at"])
    op.create_table(
        "flag_evaluations",
        sa.Column("flag_key", sa.String(length=128), nullable=False, comment="Flag key."),
        sa.Column("environment", sa.String(length=64), nullable=False, comment="Environment name."),
        sa.Column(
            "evaluations",
            sa.BigInteger(),
            server_default="0",
            nullable=False,
            comment="Evaluations counted by the serving routes (every replica adds its own).",
        ),
        sa.Column(
            "last_evaluated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="When a replica last flushed an evaluation of the flag here.",
        ),
        sa.PrimaryKeyConstraint("flag_key", "environment", name=op.f("pk_flag_evaluations")),
        comment="How often and how recently each flag was evaluated, for the stale mark.",
    )


def downgrade() -> None:
    op.drop_table("flag_evaluations")
    op.drop_index(op.f("ix_login_failures_failed_at"), table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_login_failed_at"), table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("alert_acknowledgements")
