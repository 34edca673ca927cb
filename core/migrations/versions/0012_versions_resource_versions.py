"""Core: a version (the ETag) and updated_at (incremental sync) on every resource the API serves.

Revision ID: 0012_versions
Revises: 0011_idempotency
Create Date: 2026-12-03
"""

from __future__ import annotations

from core.migrations.versioned import add_versioned_columns, drop_versioned_columns

revision = "0012_versions"
down_revision = "0011_idempotency"
branch_labels = None
depends_on = None

#: Each table, and whether it already had ``updated_at``.
TABLES = {"person": True, "tenant_plugin": True, "consent": False, "scheduled_session": False,
          "attendance": False, "calendar_feed": False, "api_client": False, "tenant": False}


def upgrade() -> None:
    for table, has_updated_at in TABLES.items():
        add_versioned_columns(table, has_updated_at=has_updated_at)


def downgrade() -> None:
    for table, has_updated_at in TABLES.items():
        drop_versioned_columns(table, has_updated_at=has_updated_at)
