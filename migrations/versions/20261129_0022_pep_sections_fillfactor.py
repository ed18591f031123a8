"""Room in pep_sections' pages for a save's new row version (PostgreSQL's fillfactor)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 05:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every autosave writes a new version of one section's row. PostgreSQL keeps it on the same
# page, with no new index entries (a HOT update), only where the page has room; pages filled
# to the brim moved each row's first save, and many later ones, to another page and wrote a
# new entry in each of the table's three indexes. A fifth of each page is left free for them.
# Pages written from now on keep the room; existing ones gain it as vacuum frees them.
SECTIONS_FILLFACTOR = 80


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE pep_sections SET (fillfactor = {SECTIONS_FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE pep_sections RESET (fillfactor)")
