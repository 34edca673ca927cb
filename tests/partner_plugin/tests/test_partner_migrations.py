"""The partner programme's migration branch: one head on top of core, and its table as the model says."""

from __future__ import annotations

from alembic.util import to_tuple
from samverka_partner.models import PartnerNote
from sqlalchemy import inspect, text

from core.testing import migration_scripts, require_postgresql


def test_the_branch_has_one_head_and_starts_on_a_revision_of_core(app):
    scripts = migration_scripts(app)
    heads = [rev for rev in scripts.get_revisions("heads") if "partner" in rev.branch_labels]
    assert len(heads) == 1
    branch = [rev for rev in scripts.walk_revisions() if "partner" in rev.branch_labels]
    [first] = [rev for rev in branch if rev.down_revision is None]
    core = {rev.revision for rev in scripts.walk_revisions() if "core" in rev.branch_labels}
    assert first.dependencies and set(to_tuple(first.dependencies)) <= core


def test_the_upgrade_made_the_table_of_the_model(db_session):
    table = PartnerNote.__table__
    inspector = inspect(db_session.get_bind())
    assert table.name in inspector.get_table_names()
    assert {column["name"] for column in inspector.get_columns(table.name)} == set(table.columns.keys())
    assert "tenant_id" in table.columns


def test_postgresql_keeps_the_notes_of_each_tenant_apart(db_session):
    """The table is tenant-owned: core applies its row-level security policy to it."""
    require_postgresql()
    policies = db_session.execute(text("SELECT count(*) FROM pg_policies WHERE tablename = :t"),
                                  {"t": PartnerNote.__tablename__}).scalar()
    forced = db_session.execute(text("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = :t"),
                                {"t": PartnerNote.__tablename__}).scalar()
    assert policies >= 1 and forced
