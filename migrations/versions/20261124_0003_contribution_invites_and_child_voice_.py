"""Contribution invites (links for the child and carer); the reason the child's views are
absent and staff's note on how they were gathered

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 13:21:45.702182
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contribution_invites",
        sa.Column("pep_id", sa.Uuid(), nullable=False),
        sa.Column("section_key", sa.String(length=60), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Uuid(), nullable=True),
        sa.Column("completed_at_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_at_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_by_id", sa.Uuid(), nullable=True),
        sa.Column("last_used_at_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_contribution_invites_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["pep_id"], ["peps.id"], name=op.f("fk_contribution_invites_pep_id_peps")
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"],
            ["users.id"],
            name=op.f("fk_contribution_invites_reopened_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_contribution_invites_revoked_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_contribution_invites_token_hash")),
    )
    with op.batch_alter_table("contribution_invites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contribution_invites_pep_id"), ["pep_id"], unique=False
        )

    with op.batch_alter_table("peps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("child_voice_absent_reason", sa.String(length=2000), nullable=True)
        )
        batch_op.add_column(sa.Column("child_voice_note", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peps", schema=None) as batch_op:
        batch_op.drop_column("child_voice_note")
        batch_op.drop_column("child_voice_absent_reason")

    with op.batch_alter_table("contribution_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_invites_pep_id"))

    op.drop_table("contribution_invites")
