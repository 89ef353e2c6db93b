"""The latest day whose reminder is in the outbox, on the carer: the reminder tick leaves out
those already queued without looking in the outbox for each.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 20:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_queued_for", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.drop_column("reminder_queued_for")
