"""production runtime

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # -- echo batching (issue 10 part 2) --
    op.create_table(
        "echo_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id"),
    )
    op.create_table(
        "echo_budget",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "minute"),
    )
    op.create_table(
        "echo_queue",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["reportitem.id"]),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("echo_queue", schema=None) as batch_op:
        batch_op.create_index("ix_echo_queue_chat", ["chat_id", "queued_at"], unique=False)
    # -- end echo batching --
    # -- update claims (issue 10 part 1) --
    op.create_table(
        "update_claim",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id"),
    )
    with op.batch_alter_table("update_claim", schema=None) as batch_op:
        batch_op.create_index("ix_update_claim_claimed_at", ["claimed_at"], unique=False)
    # -- end update claims --


def downgrade() -> None:
    # -- update claims (issue 10 part 1) --
    with op.batch_alter_table("update_claim", schema=None) as batch_op:
        batch_op.drop_index("ix_update_claim_claimed_at")
    op.drop_table("update_claim")
    # -- end update claims --
    # -- echo batching (issue 10 part 2) --
    with op.batch_alter_table("echo_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_echo_queue_chat")
    op.drop_table("echo_queue")
    op.drop_table("echo_budget")
    op.drop_table("echo_batch")
    # -- end echo batching --
