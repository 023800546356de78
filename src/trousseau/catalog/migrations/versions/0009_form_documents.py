"""form documents: vendors' PDF forms sent for a wedding, and what reading them found

One row per PDF (unique within its wedding by SHA-256): the original is kept in the vault
whatever becomes of it, its status (queued, done, failed), the one-line error of a file that
cannot be read, and the report (`result`, JSON) of one that was.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import trousseau.catalog.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_document",
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
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", trousseau.catalog.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", trousseau.catalog.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_form_document_tenant_id_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["wedding_id"], ["wedding.id"], name=op.f("fk_form_document_wedding_id_wedding")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_document")),
        sa.UniqueConstraint(
            "wedding_id", "sha256", name=op.f("uq_form_document_wedding_id_sha256")
        ),
    )
    with op.batch_alter_table("form_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_document_sha256"), ["sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_form_document_tenant_id_wedding_id_status"),
            ["tenant_id", "wedding_id", "status"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("form_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_document_tenant_id_wedding_id_status"))
        batch_op.drop_index(batch_op.f("ix_form_document_sha256"))
    op.drop_table("form_document")
