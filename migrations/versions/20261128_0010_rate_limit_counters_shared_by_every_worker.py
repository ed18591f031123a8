"""Rate limit counters in the database, shared by every worker process and host

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("window_start_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "scope", "key", "window_start_utc", name=op.f("pk_rate_limit_counters")
        ),
    )
    op.create_index(
        op.f("ix_rate_limit_counters_expires_at_utc"),
        "rate_limit_counters",
        ["expires_at_utc"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_limit_counters_expires_at_utc"), table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
