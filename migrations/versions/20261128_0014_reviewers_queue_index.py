"""The reviewers' queue: approved PEPs in the order they have waited

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only approved PEPs wait for a reviewer: a few hundred in a mid-sized authority, about a fifth
# of the open ones. Indexing just those keeps the index small and lets the reviewer's My tasks
# read its first page (longest waiting first) and its count from the index, whatever the cohort.
APPROVED = sa.text("state = 'approved'")


def upgrade() -> None:
    op.create_index(
        "ix_peps_approved_by_waiting",
        "peps",
        ["updated_at_utc", "id"],
        postgresql_where=APPROVED,
        sqlite_where=APPROVED,
    )


def downgrade() -> None:
    op.drop_index("ix_peps_approved_by_waiting", table_name="peps")
