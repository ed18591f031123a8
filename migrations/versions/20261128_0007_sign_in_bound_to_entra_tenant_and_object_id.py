"""Sign-in bound to Entra ID's tenant and object id, and the provider each binding was made with

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Entra ID accounts are bound to tenant + object id, others to issuer + subject (unchanged).
    # In place on SQLite too (it adds and, since 3.35, drops columns itself): a table rebuild
    # would lose the lower(email) index, an expression index it cannot reflect.
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(sa.Column("sso_tenant_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sso_object_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sso_provider", sa.String(length=40), nullable=True))
    op.create_index(
        "uq_users_entra_identity", "users", ["sso_tenant_id", "sso_object_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_users_entra_identity", table_name="users")
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("sso_provider")
        batch.drop_column("sso_object_id")
        batch.drop_column("sso_tenant_id")
