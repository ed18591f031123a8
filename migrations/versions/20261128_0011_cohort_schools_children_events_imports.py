"""A real cohort: GIAS schools and settings added by hand, SSDA903 children and episodes,
the events of a child's life, imports, and a PEP's facts fixed at sign-off

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Legal statuses were kept as names before the SSDA903 codes: the same meaning, by code.
LEGAL_STATUS_CODES = {
    "section_20": "V2",
    "interim_care_order": "C1",
    "full_care_order": "C2",
    "placement_order": "E1",
    "remanded": "J1",
}


def upgrade() -> None:
    with op.batch_alter_table("schools") as batch:
        batch.alter_column("urn", existing_type=sa.String(length=12), nullable=True)
        batch.alter_column("phase", existing_type=sa.String(length=20), type_=sa.String(length=30))
        batch.add_column(sa.Column("ukprn", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("establishment_type", sa.String(length=120), nullable=True))
        batch.add_column(
            sa.Column("status", sa.String(length=60), nullable=False, server_default="Open")
        )
        batch.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("postcode", sa.String(length=10), nullable=True))
        batch.add_column(
            sa.Column("source", sa.String(length=10), nullable=False, server_default="gias")
        )
    op.create_index("uq_schools_ukprn", "schools", ["ukprn"], unique=True)

    with op.batch_alter_table("children") as batch:
        batch.add_column(sa.Column("sex", sa.String(length=1), nullable=True))
        batch.add_column(sa.Column("ethnicity", sa.String(length=4), nullable=True))
        batch.add_column(sa.Column("uasc", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("placed_in_authority", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("no_school_place", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("date_left_care", sa.Date(), nullable=True))
        batch.add_column(sa.Column("reason_left_care", sa.String(length=4), nullable=True))
        batch.add_column(
            sa.Column(
                "previously_looked_after", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    for name, code in LEGAL_STATUS_CODES.items():
        op.execute(
            sa.text(
                "UPDATE children SET legal_status = :code WHERE legal_status = :name"
            ).bindparams(code=code, name=name)
        )

    with op.batch_alter_table("peps") as batch:
        batch.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))

    op.create_table(
        "care_episodes",
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("reason_new_episode", sa.String(length=2), nullable=True),
        sa.Column("legal_status", sa.String(length=4), nullable=False),
        sa.Column("category_of_need", sa.String(length=4), nullable=True),
        sa.Column("placement_type", sa.String(length=4), nullable=True),
        sa.Column("placement_provider", sa.String(length=4), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("reason_ended", sa.String(length=4), nullable=True),
        sa.Column("home_postcode", sa.String(length=10), nullable=True),
        sa.Column("placement_postcode", sa.String(length=10), nullable=True),
        sa.Column("provider_ofsted_urn", sa.String(length=10), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_care_episodes_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_episodes")),
        sa.UniqueConstraint("child_id", "started_on", name="one_episode_a_start"),
    )
    op.create_index(op.f("ix_care_episodes_child_id"), "care_episodes", ["child_id"], unique=False)

    op.create_table(
        "child_events",
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_description", sa.String(length=300), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_events_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_child_events_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_events")),
    )
    op.create_index("ix_child_events_child_day", "child_events", ["child_id", "occurred_on"])

    op.create_table(
        "import_runs",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("refusal", sa.String(length=2000), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("committed_by_id", sa.Uuid(), nullable=True),
        sa.Column("committed_at_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_import_runs_uploaded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["committed_by_id"], ["users.id"], name=op.f("fk_import_runs_committed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    op.create_index(op.f("ix_import_runs_kind"), "import_runs", ["kind"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_import_runs_kind"), table_name="import_runs")
    op.drop_table("import_runs")
    op.drop_index("ix_child_events_child_day", table_name="child_events")
    op.drop_table("child_events")
    op.drop_index(op.f("ix_care_episodes_child_id"), table_name="care_episodes")
    op.drop_table("care_episodes")
    with op.batch_alter_table("peps") as batch:
        batch.drop_column("snapshot")
    for name, code in LEGAL_STATUS_CODES.items():
        op.execute(
            sa.text(
                "UPDATE children SET legal_status = :name WHERE legal_status = :code"
            ).bindparams(code=code, name=name)
        )
    with op.batch_alter_table("children") as batch:
        for column in (
            "previously_looked_after",
            "reason_left_care",
            "date_left_care",
            "no_school_place",
            "placed_in_authority",
            "uasc",
            "ethnicity",
            "sex",
        ):
            batch.drop_column(column)
    op.drop_index("uq_schools_ukprn", table_name="schools")
    with op.batch_alter_table("schools") as batch:
        for column in ("source", "postcode", "closed_on", "status", "establishment_type", "ukprn"):
            batch.drop_column(column)
        batch.alter_column("phase", existing_type=sa.String(length=30), type_=sa.String(length=20))
        batch.alter_column("urn", existing_type=sa.String(length=12), nullable=False)
