"""The day a carer's placement began, on their role grant

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A carer reads only the PEPs of terms ending on or after this day; grants made before it
    # existed fall back to the day the grant was made. In place on SQLite (ADD COLUMN).
    with op.batch_alter_table("role_grants", recreate="never") as batch:
        batch.add_column(sa.Column("starts_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("role_grants", recreate="never") as batch:
        batch.drop_column("starts_on")
