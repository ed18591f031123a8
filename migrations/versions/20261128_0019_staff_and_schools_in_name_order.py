"""The admin's staff and schools lists in name order, read from an index

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 11:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Both lists sort by the lower-cased name (then the tie-breakers); without these a page of
    # 50 sorted every row first: 139 ms for 83,000 staff, 45 ms for 20,000 schools.
    op.create_index("ix_users_by_name", "users", [sa.text("lower(display_name)"), "email", "id"])
    op.create_index("ix_schools_by_name", "schools", [sa.text("lower(name)"), "urn", "id"])


def downgrade() -> None:
    op.drop_index("ix_schools_by_name", table_name="schools")
    op.drop_index("ix_users_by_name", table_name="users")
