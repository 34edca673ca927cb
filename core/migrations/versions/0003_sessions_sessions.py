"""Core: scheduled sessions, leaders, attendance and calendar feeds.

Revision ID: 0003_sessions
Revises: 0002_people
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003_sessions'
down_revision = '0002_people'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('plugin', sa.String(length=63), nullable=True),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_calendar_feed_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash'))
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('scheduled_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plugin', sa.String(length=63), nullable=False),
    sa.Column('kind', sa.String(length=63), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_scheduled_session_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_session'))
    )
    with op.batch_alter_table('scheduled_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduled_session_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_scheduled_session_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_scheduled_session_tenant_id_starts_at', ['tenant_id', 'starts_at'], unique=False)

    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('present', 'absent_with_notice', 'absent', 'cancelled', name='attendance_status', native_enum=False, create_constraint=True, length=30), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_attendance_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_session.id'], name=op.f('fk_attendance_session_id_scheduled_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_attendance_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('session_id', 'person_id', name=op.f('uq_attendance_session_id_person_id'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('session_leader',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_session.id'], name=op.f('fk_session_leader_session_id_scheduled_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_session_leader_tenant_id_tenant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_session_leader_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_leader')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_leader_session_id_user_id'))
    )
    with op.batch_alter_table('session_leader', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_leader_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_leader_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_leader_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('session_leader', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_leader_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_leader_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_session_leader_session_id'))

    op.drop_table('session_leader')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_session_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_person_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('scheduled_session', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_session_tenant_id_starts_at')
        batch_op.drop_index(batch_op.f('ix_scheduled_session_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_scheduled_session_reference'))

    op.drop_table('scheduled_session')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_tenant_id'))

    op.drop_table('calendar_feed')
