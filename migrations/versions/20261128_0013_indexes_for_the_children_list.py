"""Indexes for the children list: a child's latest PEP, and the list's orders

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The latest PEP of each child on a page (and the latest state filtered on) is one probe.
    op.create_index(
        "ix_peps_latest_per_child",
        "peps",
        ["child_id", "academic_year", "term", "created_at_utc"],
    )
    # A page of the list in name order, or by age, reads the index instead of sorting everyone.
    op.create_index("ix_children_by_name", "children", ["last_name", "first_name", "id"])
    op.create_index("ix_children_date_of_birth", "children", ["date_of_birth"])


def downgrade() -> None:
    op.drop_index("ix_children_date_of_birth", table_name="children")
    op.drop_index("ix_children_by_name", table_name="children")
    op.drop_index("ix_peps_latest_per_child", table_name="peps")
