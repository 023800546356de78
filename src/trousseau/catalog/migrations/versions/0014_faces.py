"""faces: the opt-in per wedding, persons, faces with their embeddings, scanned photos

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import trousseau.catalog.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person",
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
            "wedding_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("total", sa.LargeBinary(), nullable=False),
        sa.Column("faces", sa.Integer(), nullable=False),
        sa.Column("created_at", trousseau.catalog.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_person_tenant_id_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["wedding_id"], ["wedding.id"], name=op.f("fk_person_wedding_id_wedding")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_wedding_id"), ["wedding_id"], unique=False)

    op.create_table(
        "face",
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
            "wedding_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("photo_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("x0", sa.Float(), nullable=False),
        sa.Column("y0", sa.Float(), nullable=False),
        sa.Column("x1", sa.Float(), nullable=False),
        sa.Column("y1", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_face_person_id_person")
        ),
        sa.ForeignKeyConstraint(["photo_id"], ["photo.id"], name=op.f("fk_face_photo_id_photo")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_face_tenant_id_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["wedding_id"], ["wedding.id"], name=op.f("fk_face_wedding_id_wedding")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face")),
    )
    with op.batch_alter_table("face", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_face_photo_id"), ["photo_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_face_wedding_id_person_id"), ["wedding_id", "person_id"], unique=False
        )

    op.create_table(
        "face_scan",
        sa.Column("photo_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "wedding_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("faces", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("scanned_at", trousseau.catalog.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photo.id"], name=op.f("fk_face_scan_photo_id_photo")
        ),
        sa.ForeignKeyConstraint(
            ["wedding_id"], ["wedding.id"], name=op.f("fk_face_scan_wedding_id_wedding")
        ),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_face_scan")),
    )
    with op.batch_alter_table("face_scan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_face_scan_wedding_id"), ["wedding_id"], unique=False)

    # a plain ADD COLUMN: on SQLite a batch operation would copy and drop `wedding`, which
    # the foreign keys of its photos refuse
    op.add_column(
        "wedding", sa.Column("faces", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("wedding", schema=None) as batch_op:
        batch_op.drop_column("faces")

    with op.batch_alter_table("face_scan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_scan_wedding_id"))

    op.drop_table("face_scan")
    with op.batch_alter_table("face", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_wedding_id_person_id"))
        batch_op.drop_index(batch_op.f("ix_face_photo_id"))

    op.drop_table("face")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_wedding_id"))

    op.drop_table("person")
