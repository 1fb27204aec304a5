"""covering indexes for gathering a quarter's facts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_facts",
            ["unit_id", "kind", "person_id", "status", "day", "reviewed_at"],
            unique=False,
        )
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.create_index("ix_record_kind_day", ["unit_id", "kind", "day"], unique=False)
        batch_op.create_index(
            "ix_record_facts",
            ["unit_id", "person_id", "kind", "severity", "day", "voided_at", "points"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.drop_index("ix_record_facts")
        batch_op.drop_index("ix_record_kind_day")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index("ix_report_facts")
