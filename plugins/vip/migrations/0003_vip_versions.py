"""VIP: a version (the ETag) and updated_at (incremental sync) on every resource the API serves.

Revision ID: 0003_vip_versions
Revises: 0002_vip_register_sources
Create Date: 2026-12-03
"""

from __future__ import annotations

from core.toolkit import add_versioned_columns, drop_versioned_columns

revision = "0003_vip_versions"
down_revision = "0002_vip_register_sources"
branch_labels = None
depends_on = None

#: Each table, and whether it already had ``updated_at``.
TABLES = {"vip_outreach": True, "vip_application": False, "vip_waitlist_move": False, "vip_offer": False,
          "vip_group": False, "vip_meeting": False, "vip_leader_course": False, "vip_trainee": False}


def upgrade() -> None:
    for table, has_updated_at in TABLES.items():
        add_versioned_columns(table, has_updated_at=has_updated_at)


def downgrade() -> None:
    for table, has_updated_at in TABLES.items():
        drop_versioned_columns(table, has_updated_at=has_updated_at)
