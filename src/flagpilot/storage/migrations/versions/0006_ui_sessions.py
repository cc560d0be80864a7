"""Admin UI sessions: one row per signed-in browser, keyed by the hash of its cookie's secret.

Revision ID: 0006_ui_sessions
Revises: 0005_pinned_search_path
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_ui_sessions"
down_revision: str | Sequence[str] | None = "0005_pinned_search_path"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ui_sessions",
        sa.Column(
            "session_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the session cookie's secret.",
        ),
        sa.Column("user_id", sa.Integer(), nullable=False, comment="Who signed in."),
        sa.Column(
            "csrf_token",
            sa.String(length=64),
            nullable=False,
            comment="The token every form of this session carries.",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
            comment="When the row was created.",
        ),
        sa.Column(
            "expires_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="After this the session is refused.",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ui_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_ui_sessions")),
        comment="Signed-in admin UI browsers; the cookie holds the secret, this row its hash.",
    )
    op.create_index(op.f("ix_ui_sessions_user_id"), "ui_sessions", ["user_id"])
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "password_hash", existing_type=sa.Text(), existing_nullable=False, comment="argon2id hash."
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "password_hash", existing_type=sa.Text(), existing_nullable=False, comment="scrypt hash."
        )
    op.drop_index(op.f("ix_ui_sessions_user_id"), table_name="ui_sessions")
    op.drop_table("ui_sessions")
