"""A shared send pace: one row telling every instance when the next outbox send may start;
an index for the reminder tick's "already in the outbox?" question.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    send_pace = op.create_table(
        "send_pace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("next_send_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(send_pace, [{"id": 1, "next_send_us": 0}])
    op.create_index("ix_outbox_carer_day", "outbox", ["carer_id", "local_date"])


def downgrade() -> None:
    op.drop_index("ix_outbox_carer_day", table_name="outbox")
    op.drop_table("send_pace")
