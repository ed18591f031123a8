"""An import's counts in their own column, apart from its (large) outcome

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.add_column(sa.Column("counts", sa.JSON(), nullable=True))
    # The counts already kept inside each outcome, copied in the database (an outcome can
    # hold tens of thousands of changes: none is read into Python).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE import_runs SET counts = COALESCE(outcome -> 'counts', '{}'::json)")
    else:
        op.execute(
            "UPDATE import_runs SET counts = COALESCE(json_extract(outcome, '$.counts'), '{}')"
        )
    with op.batch_alter_table("import_runs") as batch:
        batch.alter_column("counts", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.drop_column("counts")
