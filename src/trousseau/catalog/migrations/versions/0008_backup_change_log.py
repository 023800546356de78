"""backup change log and cursors

Every vault blob written for a photo or a variant, and every catalog change a backup must
carry, is appended to `backup_change` in the transaction that made it, so a backup picks up
what changed within a second and never rescans the vault. `backup_cursor` records how far
each backup repository has got, `backup_done` the changes it took out of order (earliest
deadline first) beyond its cursor.

Existing photos and variants get no change rows: a repository's first backup is a full one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import trousseau.catalog.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backup_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "wedding_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("deadline", trousseau.catalog.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", trousseau.catalog.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_change")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("backup_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backup_change_tenant_id_id"), ["tenant_id", "id"], unique=False
        )
    op.create_table(
        "backup_cursor",
        sa.Column("repository", sa.String(length=255), nullable=False),
        sa.Column("last_change_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", trousseau.catalog.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("repository", name=op.f("pk_backup_cursor")),
    )
    op.create_table(
        "backup_done",
        sa.Column("repository", sa.String(length=255), nullable=False),
        sa.Column("change_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("repository", "change_id", name=op.f("pk_backup_done")),
    )


def downgrade() -> None:
    op.drop_table("backup_done")
    op.drop_table("backup_cursor")
    with op.batch_alter_table("backup_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backup_change_tenant_id_id"))
    op.drop_table("backup_change")
