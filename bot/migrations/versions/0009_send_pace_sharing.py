"""The send pace knows whether more than one instance is sending: who took moments last, when,
and until when the pace keeps to the shared rate.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = ("taken_by", "taken_at_us", "shared_until_us")


def upgrade() -> None:
    with op.batch_alter_table("send_pace", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )


def downgrade() -> None:
    with op.batch_alter_table("send_pace", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
