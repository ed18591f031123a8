"""Stored records of signed-off PEPs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pep_records",
        sa.Column("pep_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=120), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("generated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pep_id"], ["peps.id"], name=op.f("fk_pep_records_pep_id_peps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pep_records")),
        sa.UniqueConstraint("pep_id", name=op.f("uq_pep_records_pep_id")),
    )
    # The record is the statutory document: the database refuses to change or delete it.
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION pep_records_unchangeable() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'signed-off records cannot be changed';
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER pep_records_unchangeable BEFORE UPDATE OR DELETE ON pep_records "
            "FOR EACH ROW EXECUTE FUNCTION pep_records_unchangeable()"
        )
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER pep_records_no_{verb.lower()} BEFORE {verb} ON pep_records "
                "BEGIN SELECT RAISE(ABORT, 'signed-off records cannot be changed'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER pep_records_unchangeable ON pep_records")
        op.execute("DROP FUNCTION pep_records_unchangeable()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER pep_records_no_update")
        op.execute("DROP TRIGGER pep_records_no_delete")
    op.drop_table("pep_records")
