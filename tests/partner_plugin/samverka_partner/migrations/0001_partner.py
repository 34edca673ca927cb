"""partner programme tables

Revision ID: 0001_partner
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_partner"
down_revision = None
branch_labels = ("partner",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "partner_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_partner_note_tenant_id_tenant"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_note")),
    )
    op.create_index(op.f("ix_partner_note_tenant_id"), "partner_note", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_partner_note_tenant_id"), table_name="partner_note")
    op.drop_table("partner_note")
