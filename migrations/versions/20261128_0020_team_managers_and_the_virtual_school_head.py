"""Social work team managers (for children) and Virtual School heads (authority-wide)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28 14:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The names the check is known by (the models' naming convention gives it its "ck_" prefix).
CONSTRAINT = "ck_role_grants_scope_matches_role"

# Each role's scope, as the models build it from workflows.roles: written out here, because a
# migration must keep meaning what it meant when it was written, whatever the roles become.
BEFORE = (
    "(role IN ('designated_teacher') AND school_id IS NOT NULL AND child_id IS NULL)"
    " OR (role IN ('carer', 'social_worker', 'vs_adviser')"
    " AND child_id IS NOT NULL AND school_id IS NULL)"
    " OR (role IN ('admin', 'reviewer') AND school_id IS NULL AND child_id IS NULL)"
)
# The team manager is granted for each child of the team's caseload, as the social worker is;
# the Virtual School head across the authority, as the reviewers are.
AFTER = (
    "(role IN ('designated_teacher') AND school_id IS NOT NULL AND child_id IS NULL)"
    " OR (role IN ('carer', 'social_worker', 'sw_team_manager', 'vs_adviser')"
    " AND child_id IS NOT NULL AND school_id IS NULL)"
    " OR (role IN ('admin', 'reviewer', 'vs_head') AND school_id IS NULL AND child_id IS NULL)"
)


def _replace_check(condition: str) -> None:
    # SQLite cannot change a check in place: batch mode copies the table with the new one.
    with op.batch_alter_table("role_grants") as batch:
        batch.drop_constraint(op.f(CONSTRAINT), type_="check")
        batch.create_check_constraint(op.f(CONSTRAINT), condition)


def upgrade() -> None:
    _replace_check(AFTER)


def downgrade() -> None:
    # Grants of the two roles cannot be kept under the old check: they are removed first.
    op.execute("DELETE FROM role_grants WHERE role IN ('sw_team_manager', 'vs_head')")
    _replace_check(BEFORE)
