"""A PEP waiting for the social worker's approval waits from its submission

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Until now a submitted PEP waited from its last change (updated_at_utc): a carer's views
    # or the social worker's own notes saved while it waited started the wait again, so the
    # reminder chasing the approval might never come. It now waits from the submission.
    op.add_column("peps", sa.Column("submitted_at_utc", sa.DateTime(timezone=True), nullable=True))
    # PEPs waiting now keep the wait they had: their last change stands for their submission.
    # Others are left without one (their audit trail has it); every submission sets it from now.
    op.execute("UPDATE peps SET submitted_at_utc = updated_at_utc WHERE state = 'submitted'")


def downgrade() -> None:
    op.drop_column("peps", "submitted_at_utc")
