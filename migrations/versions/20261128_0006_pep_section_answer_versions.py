"""The version at which each answer of a PEP section last changed, and from which page

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 06:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A save made from an older version is refused only where it would overwrite an answer that
    # changed since that version; answers saved before this column existed count as changed at
    # the section's current version (the safe side).
    with op.batch_alter_table("pep_sections") as batch:
        batch.add_column(
            sa.Column("answer_versions", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch.add_column(
            sa.Column("answer_editors", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    # Answers saved before now: treat each as changed at the section's current version.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE pep_sections SET answer_versions = json_build_object('*', version)")
    else:
        op.execute("UPDATE pep_sections SET answer_versions = json_object('*', version)")


def downgrade() -> None:
    with op.batch_alter_table("pep_sections") as batch:
        batch.drop_column("answer_editors")
        batch.drop_column("answer_versions")
