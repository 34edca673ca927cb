"""Alembic runs this for every command: online, against the migration role's database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from core.models import metadata

config = context.config
engine = create_engine(config.attributes["url"], poolclass=pool.NullPool)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
