"""Core: each tenant's OpenID Connect provider, and sign-ins started with it.

Revision ID: 0007_oidc
Revises: 0005_audit
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007_oidc'
down_revision = '0006_signin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tenant_identity_provider',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret_ref', sa.String(length=100), nullable=True),
    sa.Column('allowed_domains', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('create_users', sa.Boolean(), nullable=False),
    sa.Column('default_role', sa.String(length=63), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_tenant_identity_provider_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenant_identity_provider')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_tenant_identity_provider_tenant_id'))
    )
    with op.batch_alter_table('tenant_identity_provider', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenant_identity_provider_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('oidc_login_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('code_verifier', sa.String(length=128), nullable=False),
    sa.Column('redirect_uri', sa.String(length=500), nullable=False),
    sa.Column('next_path', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_oidc_login_state_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_login_state')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_oidc_login_state_state_hash'))
    )
    with op.batch_alter_table('oidc_login_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_login_state_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('oidc_login_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_login_state_tenant_id'))

    op.drop_table('oidc_login_state')
    with op.batch_alter_table('tenant_identity_provider', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tenant_identity_provider_tenant_id'))

    op.drop_table('tenant_identity_provider')
