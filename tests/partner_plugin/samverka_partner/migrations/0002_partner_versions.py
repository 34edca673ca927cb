"""Partner: a version (the ETag) and updated_at (incremental sync) on notes.

Revision ID: 0002_partner_versions
Revises: 0001_partner
Create Date: 2026-12-03
"""

from __future__ import annotations

from core.toolkit import add_versioned_columns, drop_versioned_columns

revision = "0002_partner_versions"
down_revision = "0001_partner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_versioned_columns("partner_note")


def downgrade() -> None:
    drop_versioned_columns("partner_note")
