"""VIP: register sources per training tenant, trainees' municipality, withdrawal links.

Revision ID: 0002_vip_register_sources
Revises: 0001_vip
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_vip_register_sources'
down_revision = '0001_vip'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vip_trained_leader_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('training_tenant_id', sa.Integer(), nullable=True),
    sa.Column('trainee_id', sa.Integer(), nullable=True),
    sa.Column('trained_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['leader_id'], ['vip_trained_leader.id'], name=op.f('fk_vip_trained_leader_source_leader_id_vip_trained_leader'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trainee_id'], ['vip_trainee.id'], name=op.f('fk_vip_trained_leader_source_trainee_id_vip_trainee'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['training_tenant_id'], ['tenant.id'], name=op.f('fk_vip_trained_leader_source_training_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_trained_leader_source')),
    sa.UniqueConstraint('leader_id', 'training_tenant_id', name=op.f('uq_vip_trained_leader_source_leader_id_training_tenant_id'))
    )
    with op.batch_alter_table('vip_trained_leader_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_trained_leader_source_leader_id'), ['leader_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_trained_leader_source_training_tenant_id'), ['training_tenant_id'], unique=False)
    with op.batch_alter_table('vip_trainee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality', sa.String(length=100), nullable=True))
    with op.batch_alter_table('vip_application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdraw_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_vip_application_withdraw_token_hash'), ['withdraw_token_hash'])

    # Every existing entry becomes its own first source: the tenant of the training record it
    # came from, or none. vip_trainee is under row-level security, forced on its owner too, so
    # on PostgreSQL every tenant is put in scope for this one statement's transaction.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT set_config('samverka.tenant_ids', "
                   "coalesce((SELECT string_agg(id::text, ',') FROM tenant), ''), true)")
    op.execute(
        "INSERT INTO vip_trained_leader_source (leader_id, training_tenant_id, trainee_id, trained_on) "
        "SELECT l.id, t.tenant_id, l.trainee_id, l.trained_on FROM vip_trained_leader l "
        "LEFT JOIN vip_trainee t ON t.id = l.trainee_id"
    )


def downgrade() -> None:
    with op.batch_alter_table('vip_application', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_vip_application_withdraw_token_hash'), type_='unique')
        batch_op.drop_column('withdraw_token_hash')
    with op.batch_alter_table('vip_trainee', schema=None) as batch_op:
        batch_op.drop_column('municipality')
    with op.batch_alter_table('vip_trained_leader_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vip_trained_leader_source_training_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_vip_trained_leader_source_leader_id'))
    op.drop_table('vip_trained_leader_source')
