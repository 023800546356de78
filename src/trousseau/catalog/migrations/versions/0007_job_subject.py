"""job subject and worker process identity

Every job names its subject (the wedding and photo it is about), so a wedding's progress
counts all the jobs of its photos, whatever their kind, without reading payloads or keys.
Existing jobs get theirs from the photo named in their payload.

A worker's heartbeat records its process identity (boot, PID namespace and start time), so
a worker starting on the same host can tell that an earlier one is dead and release its
leases at once instead of waiting a whole lease.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BACKFILL = {
    "postgresql": """
        UPDATE job SET photo_id = photo.id, wedding_id = photo.wedding_id
        FROM photo
        WHERE job.photo_id IS NULL
          AND jsonb_typeof(job.payload -> 'photo_id') = 'number'
          AND photo.id = (job.payload ->> 'photo_id')::bigint
    """,
    "sqlite": """
        UPDATE job SET
            photo_id = (SELECT photo.id FROM photo
                        WHERE photo.id = json_extract(job.payload, '$.photo_id')),
            wedding_id = (SELECT photo.wedding_id FROM photo
                          WHERE photo.id = json_extract(job.payload, '$.photo_id'))
        WHERE photo_id IS NULL
          AND json_type(job.payload, '$.photo_id') = 'integer'
    """,
}


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "wedding_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "photo_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_job_wedding_id_wedding"), "wedding", ["wedding_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_job_photo_id_photo"), "photo", ["photo_id"], ["id"]
        )
        batch_op.create_index(
            batch_op.f("ix_job_wedding_id_state"), ["wedding_id", "state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_job_photo_id"), ["photo_id"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect in _BACKFILL:
        op.execute(_BACKFILL[dialect])
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.add_column(sa.Column("process", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.drop_column("process")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_photo_id"))
        batch_op.drop_index(batch_op.f("ix_job_wedding_id_state"))
        batch_op.drop_constraint(batch_op.f("fk_job_photo_id_photo"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_job_wedding_id_wedding"), type_="foreignkey")
        batch_op.drop_column("photo_id")
        batch_op.drop_column("wedding_id")
