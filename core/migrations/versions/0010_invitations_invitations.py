"""Core: invitations to a role, granted only when accepted.

Revision ID: 0010_invitations
Revises: 0009_gdpr
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_invitations"
down_revision = "0009_gdpr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("invitation",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("role", sa.String(length=63), nullable=False),
    sa.Column("token_hash", sa.String(length=64), nullable=False),
    sa.Column("invited_by_id", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("tenant_id", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_invitation_user_id_user_account"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["invited_by_id"], ["user_account.id"], name=op.f("fk_invitation_invited_by_id_user_account"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_invitation_tenant_id_tenant"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
    sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash"))
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_user_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_tenant_id"))

    op.drop_table("invitation")
