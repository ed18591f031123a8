"""Timeliness: each child's PEP obligations and term statuses, and one summary row a child

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-28 11:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "timeliness_obligations",
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("statutory", sa.Boolean(), nullable=False),
        sa.Column("pep_type", sa.String(length=30), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("why", sa.String(length=400), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=True),
        sa.Column("term", sa.String(length=10), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_from", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("satisfied_by_pep_id", sa.Uuid(), nullable=True),
        sa.Column("exemption_rule", sa.String(length=40), nullable=True),
        sa.Column("exemption_reason", sa.String(length=300), nullable=True),
        sa.Column("reminders", sa.JSON(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("refreshed_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_timeliness_obligations_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeliness_obligations")),
        sa.UniqueConstraint("child_id", "key", name="one_row_an_obligation"),
    )
    op.create_index(
        op.f("ix_timeliness_obligations_child_id"),
        "timeliness_obligations",
        ["child_id"],
        unique=False,
    )
    op.create_table(
        "child_timeliness",
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("open_due_on", sa.Date(), nullable=True),
        sa.Column("unbooked_due_from", sa.Date(), nullable=True),
        sa.Column("meeting_booked", sa.Boolean(), nullable=False),
        sa.Column("settled_status", sa.String(length=20), nullable=True),
        sa.Column("settled_due_on", sa.Date(), nullable=True),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("refreshed_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_timeliness_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_timeliness")),
        sa.UniqueConstraint("child_id", name=op.f("uq_child_timeliness_child_id")),
    )


def downgrade() -> None:
    op.drop_table("child_timeliness")
    op.drop_index(op.f("ix_timeliness_obligations_child_id"), table_name="timeliness_obligations")
    op.drop_table("timeliness_obligations")
