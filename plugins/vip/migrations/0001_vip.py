"""VIP: applications, waitlist, offers, groups and meetings, outreach, leader training.

Revision ID: 0001_vip
Revises:
Create Date: 2026-11-22 14:02:02.873694
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.toolkit import UtcDateTime

revision = '0001_vip'
down_revision = None
branch_labels = ('vip',)
# The core revision that created the tables these refer to (person, scheduled_session).
depends_on = '0003_sessions'


def upgrade() -> None:
    op.create_table('vip_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('audience', sa.String(length=30), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=True),
    sa.Column('status', sa.Enum('planned', 'running', 'finished', 'cancelled', name='vip_group_status', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_vip_group_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_group'))
    )
    with op.batch_alter_table('vip_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_group_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('vip_leader_course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=True),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_vip_leader_course_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_leader_course'))
    )
    with op.batch_alter_table('vip_leader_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_leader_course_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('vip_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=30), nullable=False),
    sa.Column('channel', sa.Enum('web', 'paper', name='vip_channel', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('taken_before', sa.Boolean(), nullable=False),
    sa.Column('contact_via', sa.Enum('self', 'contact_person', 'guardian', 'legal_representative', name='vip_contact_via', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('needs', sa.Text(), nullable=True),
    sa.Column('applied_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'offered', 'placed', 'withdrawn', 'closed', name='vip_application_status', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('queue_rank', sa.Float(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('placed_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.String(length=40), nullable=True),
    sa.Column('created_person', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['vip_group.id'], name=op.f('fk_vip_application_group_id_vip_group'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_vip_application_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_vip_application_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_application'))
    )
    with op.batch_alter_table('vip_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_application_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_application_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_application_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_vip_application_tenant_id_audience_status', ['tenant_id', 'audience', 'status'], unique=False)

    op.create_table('vip_group_leader',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['vip_group.id'], name=op.f('fk_vip_group_leader_group_id_vip_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_vip_group_leader_tenant_id_tenant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_vip_group_leader_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_group_leader')),
    sa.UniqueConstraint('group_id', 'user_id', name=op.f('uq_vip_group_leader_group_id_user_id'))
    )
    with op.batch_alter_table('vip_group_leader', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_group_leader_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_group_leader_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_group_leader_user_id'), ['user_id'], unique=False)

    op.create_table('vip_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=200), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['vip_group.id'], name=op.f('fk_vip_meeting_group_id_vip_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_session.id'], name=op.f('fk_vip_meeting_session_id_scheduled_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_vip_meeting_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_meeting')),
    sa.UniqueConstraint('group_id', 'number', name=op.f('uq_vip_meeting_group_id_number')),
    sa.UniqueConstraint('session_id', name=op.f('uq_vip_meeting_session_id'))
    )
    with op.batch_alter_table('vip_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_meeting_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_meeting_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('vip_outreach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=200), nullable=True),
    sa.Column('informed_on', sa.Date(), nullable=True),
    sa.Column('offered_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('updated_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_vip_outreach_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_vip_outreach_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_outreach')),
    sa.UniqueConstraint('tenant_id', 'person_id', name=op.f('uq_vip_outreach_tenant_id_person_id'))
    )
    with op.batch_alter_table('vip_outreach', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_outreach_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_outreach_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('vip_trainee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['vip_leader_course.id'], name=op.f('fk_vip_trainee_course_id_vip_leader_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_vip_trainee_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_trainee')),
    sa.UniqueConstraint('course_id', 'email', name=op.f('uq_vip_trainee_course_id_email'))
    )
    with op.batch_alter_table('vip_trainee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_trainee_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_trainee_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('vip_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('offered_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'declined', 'expired', 'withdrawn', name='vip_offer_status', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('answered_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_via_link', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by'], ['user_account.id'], name=op.f('fk_vip_offer_answered_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['application_id'], ['vip_application.id'], name=op.f('fk_vip_offer_application_id_vip_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['vip_group.id'], name=op.f('fk_vip_offer_group_id_vip_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_vip_offer_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_offer')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_vip_offer_token_hash'))
    )
    with op.batch_alter_table('vip_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_offer_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_offer_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_offer_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('vip_trained_leader',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('trained_on', sa.Date(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['trainee_id'], ['vip_trainee.id'], name=op.f('fk_vip_trained_leader_trainee_id_vip_trainee'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_trained_leader')),
    sa.UniqueConstraint('email_digest', name=op.f('uq_vip_trained_leader_email_digest')),
    sa.UniqueConstraint('trainee_id', name=op.f('uq_vip_trained_leader_trainee_id'))
    )
    op.create_table('vip_waitlist_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('from_position', sa.Integer(), nullable=False),
    sa.Column('to_position', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('moved_by', sa.Integer(), nullable=True),
    sa.Column('moved_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['vip_application.id'], name=op.f('fk_vip_waitlist_move_application_id_vip_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moved_by'], ['user_account.id'], name=op.f('fk_vip_waitlist_move_moved_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_vip_waitlist_move_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_waitlist_move'))
    )
    with op.batch_alter_table('vip_waitlist_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vip_waitlist_move_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vip_waitlist_move_tenant_id'), ['tenant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vip_waitlist_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vip_waitlist_move_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_vip_waitlist_move_application_id'))

    op.drop_table('vip_waitlist_move')
    op.drop_table('vip_trained_leader')
    with op.batch_alter_table('vip_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vip_offer_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_vip_offer_group_id'))
        batch_op.drop_index(batch_op.f('ix_vip_offer_application_id'))

    op.drop_table('vip_offer')
    with op.batch_alter_table('vip_trainee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vip_trainee_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_vip_trainee_course_id'))

    op.drop_table('vip_trainee')
    with op.batch_alter_table('vip_outreach', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vip_outreach_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_vip_outreach_person_id'))

    op.drop_table('vip_outreach')
    with op.batch_alter_table('vip_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vip_meeting_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_vip_meeting_group_id'))

    op.drop_table('vip_meeting')
    with op.batch_alter_table('vip_group_leader', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vip_group_leader_user_id'))
        batch_op.drop_index(batch_op.f('ix_vip_group_leader_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_vip_group_leader_group_id'))

    op.drop_table('vip_group_leader')
    with op.batch_alter_table('vip_application', schema=None) as batch_op:
        batch_op.drop_index('ix_vip_application_tenant_id_audience_status')
        batch_op.drop_index(batch_op.f('ix_vip_application_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_vip_application_person_id'))
        batch_op.drop_index(batch_op.f('ix_vip_application_group_id'))

    op.drop_table('vip_application')
    with op.batch_alter_table('vip_leader_course', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vip_leader_course_tenant_id'))

    op.drop_table('vip_leader_course')
    with op.batch_alter_table('vip_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vip_group_tenant_id'))

    op.drop_table('vip_group')
