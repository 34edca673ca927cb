"""Alembic: one head per branch, and a fresh upgrade that matches the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from core.migrations import alembic_config
from core.models import metadata


def test_each_branch_has_exactly_one_head(app, test_settings):
    script = ScriptDirectory.from_config(alembic_config(app.extensions["samverka"].registry, test_settings.database_url))
    heads = script.get_revisions("heads")
    labels = [label for head in heads for label in script.get_revision(head.revision).branch_labels or ()]
    bases = {rev.revision: rev for rev in script.walk_revisions()}
    branch_of_head = []
    for head in heads:
        rev = head
        while rev.down_revision:
            rev = bases[rev.down_revision]
        branch_of_head.append(tuple(rev.branch_labels))
    assert len(branch_of_head) == len(set(branch_of_head)), f"a branch has several heads: {branch_of_head}"
    assert ("core",) in branch_of_head and labels is not None


def test_a_fresh_upgrade_matches_the_models(app, test_settings):
    engine = create_engine(test_settings.migration_database_url or test_settings.database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata())
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ; write a revision: {diff}"
