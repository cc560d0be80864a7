"""Tokens keep the first characters of their secret, to tell them apart without revealing them.

Revision ID: 0004_token_hint
Revises: 0003_row_level_security
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_token_hint"
down_revision: str | Sequence[str] | None = "0003_row_level_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column(
                "hint",
                sa.String(length=32),
                nullable=False,
                server_default="",
                comment="The first characters of the secret, to tell tokens apart.",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("hint")
