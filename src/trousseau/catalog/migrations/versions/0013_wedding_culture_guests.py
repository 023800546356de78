"""wedding culture and guest count: what capacity planning multiplies a wedding's photos by

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wedding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("culture", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("guests", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wedding", schema=None) as batch_op:
        batch_op.drop_column("guests")
        batch_op.drop_column("culture")
