"""delivery: answers owed to stored updates, and sends that reached Telegram (issue 16)

Revision ID: 0011_delivery
Revises: 0010_calendar
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_delivery"
down_revision: str | None = "0010_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("update_claim", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answer_due", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("sent_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sent_message", schema=None) as batch_op:
        batch_op.drop_column("started_at")
    with op.batch_alter_table("update_claim", schema=None) as batch_op:
        batch_op.drop_column("answer_due")
