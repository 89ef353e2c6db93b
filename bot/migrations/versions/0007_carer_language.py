"""A parent's language: every carer enrolled before it reads English.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 14:37:38
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.drop_column("language")
