"""PEP meetings: when, where, who is invited, contributions due by

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28 11:23:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pep_meetings",
        sa.Column("pep_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("online_link", sa.String(length=500), nullable=True),
        sa.Column("contributions_due_on", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("arranged_by_id", sa.Uuid(), nullable=True),
        sa.Column("cancelled_at_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "starts_at < ends_at", name=op.f("ck_pep_meetings_starts_before_it_ends")
        ),
        sa.CheckConstraint(
            "contributions_due_on < meeting_date",
            name=op.f("ck_pep_meetings_contributions_due_before"),
        ),
        sa.CheckConstraint(
            "place IS NOT NULL OR online_link IS NOT NULL",
            name=op.f("ck_pep_meetings_somewhere_to_meet"),
        ),
        sa.ForeignKeyConstraint(["pep_id"], ["peps.id"], name=op.f("fk_pep_meetings_pep_id_peps")),
        sa.ForeignKeyConstraint(
            ["arranged_by_id"], ["users.id"], name=op.f("fk_pep_meetings_arranged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"], ["users.id"], name=op.f("fk_pep_meetings_cancelled_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pep_meetings")),
    )
    op.create_index(op.f("ix_pep_meetings_pep_id"), "pep_meetings", ["pep_id"], unique=False)
    # A PEP has at most one meeting that is not cancelled.
    op.create_index(
        "uq_pep_meetings_one_current_per_pep",
        "pep_meetings",
        ["pep_id"],
        unique=True,
        postgresql_where=sa.text("cancelled_at_utc IS NULL"),
        sqlite_where=sa.text("cancelled_at_utc IS NULL"),
    )

    op.create_table(
        "pep_meeting_invitees",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("invited_by_email", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["pep_meetings.id"],
            name=op.f("fk_pep_meeting_invitees_meeting_id_pep_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pep_meeting_invitees_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pep_meeting_invitees")),
    )
    op.create_index(
        op.f("ix_pep_meeting_invitees_meeting_id"),
        "pep_meeting_invitees",
        ["meeting_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pep_meeting_invitees_meeting_id"), table_name="pep_meeting_invitees")
    op.drop_table("pep_meeting_invitees")
    op.drop_index("uq_pep_meetings_one_current_per_pep", table_name="pep_meetings")
    op.drop_index(op.f("ix_pep_meetings_pep_id"), table_name="pep_meetings")
    op.drop_table("pep_meetings")
