"""the emergency switch: who turned it on, why, until when, and what it does

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import trousseau.catalog.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    instant = trousseau.catalog.types.UTCDateTime(timezone=True)
    op.create_table(
        "emergency_switch",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("started_at", instant, nullable=False),
        sa.Column("until", instant, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_by", sa.String(length=255), nullable=False),
        sa.Column("floor", sa.Integer(), nullable=False),
        sa.Column(
            "paused_slas",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ended_at", instant, nullable=True),
        sa.Column("ended_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_switch")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("emergency_switch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_switch_until"), ["until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("emergency_switch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_switch_until"))
    op.drop_table("emergency_switch")
