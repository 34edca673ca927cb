"""Migration helper: give a table that may hold rows the columns of ``core.db.Versioned``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def add_versioned_columns(table: str, *, has_updated_at: bool = False) -> None:
    """Add ``version`` (1 for existing rows) and, unless the table has it, ``updated_at`` (the
    time of the upgrade for existing rows: a syncing client's first full read takes them all).

    The default is given in the DDL, not by an ``UPDATE``: row-level security, which is forced
    even for the tables' owner, would hide every row from an ``UPDATE`` run outside a tenant.
    SQLite cannot add a column with a non-constant default, so there the table is copied."""
    recreate = "always" if op.get_bind().dialect.name == "sqlite" and not has_updated_at else "auto"
    with op.batch_alter_table(table, recreate=recreate) as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        if not has_updated_at:
            batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True),
                                       server_default=sa.func.current_timestamp(), nullable=False))
    if not has_updated_at:
        with op.batch_alter_table(table, recreate=recreate) as batch:
            batch.alter_column("updated_at", server_default=None)


def drop_versioned_columns(table: str, *, has_updated_at: bool = False) -> None:
    """Undo :func:`add_versioned_columns`."""
    with op.batch_alter_table(table) as batch:
        batch.drop_column("version")
        if not has_updated_at:
            batch.drop_column("updated_at")
