"""photo quality: each photo's culling signals, measured once from a variant; each face's
sharpness

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import trousseau.catalog.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo_quality",
        sa.Column("photo_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "wedding_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("sharpness", sa.Float(), nullable=True),
        sa.Column("motion_blur", sa.Float(), nullable=True),
        sa.Column("mean_luminance", sa.Float(), nullable=True),
        sa.Column("highlights", sa.Float(), nullable=True),
        sa.Column("shadows", sa.Float(), nullable=True),
        sa.Column("noise", sa.Float(), nullable=True),
        sa.Column("keep_score", sa.Float(), nullable=True),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("dhash", sa.String(length=16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "measured_at", trousseau.catalog.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photo.id"], name=op.f("fk_photo_quality_photo_id_photo")
        ),
        sa.ForeignKeyConstraint(
            ["wedding_id"], ["wedding.id"], name=op.f("fk_photo_quality_wedding_id_wedding")
        ),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_photo_quality")),
    )
    with op.batch_alter_table("photo_quality", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_photo_quality_wedding_id"), ["wedding_id"], unique=False
        )

    # a plain ADD COLUMN (nullable: faces found before keep None), as 0014 adds wedding.faces
    op.add_column("face", sa.Column("sharpness", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("face", schema=None) as batch_op:
        batch_op.drop_column("sharpness")

    with op.batch_alter_table("photo_quality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_quality_wedding_id"))

    op.drop_table("photo_quality")
