"""partner programme tables

Revision ID: 0001_partner
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import UtcDateTime

revision = "0001_partner"
down_revision = None
branch_labels = ("partner",)
# The core revision that creates the tables this branch refers to (person, tenant).
depends_on = "0002_people"


def upgrade() -> None:
    op.create_table(
        "partner_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_partner_note_person_id_person"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_partner_note_tenant_id_tenant"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_note")),
    )
    op.create_index(op.f("ix_partner_note_person_id"), "partner_note", ["person_id"], unique=False)
    op.create_index(op.f("ix_partner_note_tenant_id"), "partner_note", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_partner_note_tenant_id"), table_name="partner_note")
    op.drop_index(op.f("ix_partner_note_person_id"), table_name="partner_note")
    op.drop_table("partner_note")
