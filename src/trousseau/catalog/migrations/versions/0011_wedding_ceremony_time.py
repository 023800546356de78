"""wedding ceremony time: the ceremony's local time, when the studio knows it

Protection raises a region around a wedding's ceremony and planning forecasts its photos
from it; without it both assume the policy's default (15:00 local).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wedding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ceremony_time", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wedding", schema=None) as batch_op:
        batch_op.drop_column("ceremony_time")
