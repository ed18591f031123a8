"""The reviewers' queue waits from each PEP's approval, and a save is a HOT update

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPROVED = sa.text("state = 'approved'")


def upgrade() -> None:
    # Until now the queue waited from the PEP's last change (updated_at_utc), which a reviewer's
    # saved quality assurance moved on, sending the PEP to the back. It now waits from the
    # approval. Every save moves updated_at_utc on: while it was a key of this index, no
    # UPDATE of a PEP could be a HOT update (PostgreSQL wrote a new entry in all five indexes
    # of peps for each autosave).
    op.add_column("peps", sa.Column("approved_at_utc", sa.DateTime(timezone=True), nullable=True))
    # PEPs waiting now keep the place they had in the queue: their last change stands for
    # their approval. PEPs approved before and since signed off or returned are left without
    # one (their audit trail has it); from now on every approval sets it and keeps it.
    op.execute("UPDATE peps SET approved_at_utc = updated_at_utc WHERE state = 'approved'")
    op.drop_index("ix_peps_approved_by_waiting", table_name="peps")
    op.create_index(
        "ix_peps_approved_by_approval",
        "peps",
        ["approved_at_utc", "id"],
        postgresql_where=APPROVED,
        sqlite_where=APPROVED,
    )


def downgrade() -> None:
    op.drop_index("ix_peps_approved_by_approval", table_name="peps")
    op.create_index(
        "ix_peps_approved_by_waiting",
        "peps",
        ["updated_at_utc", "id"],
        postgresql_where=APPROVED,
        sqlite_where=APPROVED,
    )
    # Dropped in place (SQLite has had DROP COLUMN since 3.35): rebuilding the table, as batch
    # mode would, could lose the predicates of its partial indexes.
    op.drop_column("peps", "approved_at_utc")
