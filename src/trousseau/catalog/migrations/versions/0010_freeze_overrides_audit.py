"""deploy protection: emergency overrides and the hash-chained audit log

`freeze_override` holds overrides under the two-person rule (requested, approved by another
person, revoked, expired); `freeze_audit` every protection decision and override action, each
entry chained to the one before by its SHA-256.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import trousseau.catalog.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    instant = trousseau.catalog.types.UTCDateTime(timezone=True)
    op.create_table(
        "freeze_override",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("environment", sa.String(length=255), nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("region", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_at", instant, nullable=False),
        sa.Column("expires_at", instant, nullable=False),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
        sa.Column("approved_at", instant, nullable=True),
        sa.Column("revoked_by", sa.String(length=255), nullable=True),
        sa.Column("revoked_at", instant, nullable=True),
        sa.Column("expiry_logged", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freeze_override")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("freeze_override", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_freeze_override_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "freeze_audit",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", instant, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_freeze_audit")),
    )


def downgrade() -> None:
    op.drop_table("freeze_audit")
    with op.batch_alter_table("freeze_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_freeze_override_expires_at"))
    op.drop_table("freeze_override")
