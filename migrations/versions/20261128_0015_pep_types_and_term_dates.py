"""PEP types, and the term dates due dates are counted in

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 11:21:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PEPs started before types were recorded were, almost all, the term's review.
    with op.batch_alter_table("peps") as batch:
        batch.add_column(
            sa.Column("pep_type", sa.String(30), nullable=False, server_default="termly")
        )


def downgrade() -> None:
    with op.batch_alter_table("peps") as batch:
        batch.drop_column("pep_type")
