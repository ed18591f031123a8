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

    # Term dates: the authority's (no school) and a school's own, one row a term.
    op.create_table(
        "term_dates",
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("half_term_starts_on", sa.Date(), nullable=True),
        sa.Column("half_term_ends_on", sa.Date(), nullable=True),
        sa.Column("inset_days", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "starts_on <= ends_on", name=op.f("ck_term_dates_term_starts_before_it_ends")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_term_dates_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_dates")),
    )
    # A unique constraint counts every NULL school as different: two partial indexes instead.
    op.create_index(
        "uq_term_dates_school_term",
        "term_dates",
        ["school_id", "academic_year", "term"],
        unique=True,
        postgresql_where=sa.text("school_id IS NOT NULL"),
        sqlite_where=sa.text("school_id IS NOT NULL"),
    )
    op.create_index(
        "uq_term_dates_authority_term",
        "term_dates",
        ["academic_year", "term"],
        unique=True,
        postgresql_where=sa.text("school_id IS NULL"),
        sqlite_where=sa.text("school_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_term_dates_authority_term", table_name="term_dates")
    op.drop_index("uq_term_dates_school_term", table_name="term_dates")
    op.drop_table("term_dates")
    with op.batch_alter_table("peps") as batch:
        batch.drop_column("pep_type")
