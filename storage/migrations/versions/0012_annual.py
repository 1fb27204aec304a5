"""年度考核, 公示, 复核 and 申辩: person_standing, published_quarter.final_at, appeal, objection

Revision ID: 0012_annual
Revises: 0011_delivery
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0012_annual"
down_revision: str | None = "0011_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("published_quarter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("final_at", sa.DateTime(timezone=True), nullable=True))
    # Quarters published before 公示 existed were final when published.
    op.execute("UPDATE published_quarter SET final_at = published_at")
    op.create_table(
        "person_standing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["marked_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "kind", "year"),
    )
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decide_by", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("old_score", sa.Float(), nullable=True),
        sa.Column("old_grade", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("new_score", sa.Float(), nullable=True),
        sa.Column("new_grade", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("petition_until", sa.Date(), nullable=True),
        sa.Column("petition_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("petition_note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeal_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeal_status"), ["status"], unique=False)
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objection_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_objection_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_objection_status"), ["status"], unique=False)
    with op.batch_alter_table("person_standing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_standing_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_person_standing_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objection_status"))
        batch_op.drop_index(batch_op.f("ix_objection_record_id"))
        batch_op.drop_index(batch_op.f("ix_objection_unit_id"))
    op.drop_table("objection")
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_status"))
        batch_op.drop_index(batch_op.f("ix_appeal_person_id"))
        batch_op.drop_index(batch_op.f("ix_appeal_unit_id"))
    op.drop_table("appeal")
    with op.batch_alter_table("person_standing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_standing_person_id"))
        batch_op.drop_index(batch_op.f("ix_person_standing_unit_id"))
    op.drop_table("person_standing")
    with op.batch_alter_table("published_quarter", schema=None) as batch_op:
        batch_op.drop_column("final_at")
