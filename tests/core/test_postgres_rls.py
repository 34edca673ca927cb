"""Row-level security on PostgreSQL, as the application role, with no ORM criteria to help."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from core.db import apply_rls_settings, db, tenant_scope
from core.migrations.rls import EXTRA_VISIBILITY
from core.testing.database import require_postgresql


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgresql()


def test_every_table_with_tenant_id_has_forced_rls_and_a_policy(db_session):
    rows = db_session.execute(text("""
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind = 'r'
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
    """)).all()
    assert rows, "no tenant tables found"
    missing = [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity and r.policies)]
    assert missing == []


def test_the_application_role_is_no_owner_no_superuser_no_bypassrls(db_session):
    role = db_session.execute(text(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )).one()
    assert not role.rolsuper and not role.rolbypassrls
    owned = db_session.scalar(text(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user"
    ))
    assert owned == 0


def _raw_count(session, tenant_ids):
    with tenant_scope(*tenant_ids):
        return session.execute(text("SELECT tenant_id FROM tenant_plugin ORDER BY tenant_id")).scalars().all()


def test_raw_sql_in_tenant_a_sees_a(db_session, make_tenant):
    a = make_tenant(plugins={"sample": {}})
    make_tenant(plugins={"sample": {}})
    assert _raw_count(db_session, [a.id]) == [a.id]


def test_raw_sql_in_tenant_a_cannot_see_b(db_session, make_tenant):
    a = make_tenant(plugins={"sample": {}})
    b = make_tenant(plugins={"sample": {}})
    assert b.id not in _raw_count(db_session, [a.id])


def test_raw_sql_with_no_tenant_sees_nothing(db_session, make_tenant):
    make_tenant(plugins={"sample": {}})
    db_session.commit()
    assert db_session.execute(text("SELECT count(*) FROM tenant_plugin")).scalar() == 0


def test_raw_insert_into_another_tenant_is_refused_by_the_database(db_session, make_tenant):
    from sqlalchemy.exc import ProgrammingError

    a = make_tenant()
    b = make_tenant()
    with tenant_scope(a.id):
        with pytest.raises(ProgrammingError, match="row-level security"):
            with db_session.begin_nested():
                db_session.execute(text("INSERT INTO tenant_plugin (plugin, enabled, settings, updated_at, tenant_id) "
                                        "VALUES ('x', true, '{}', now(), :b)"), {"b": b.id})


def test_role_grants_are_visible_to_their_own_user_outside_tenants(db_session, make_tenant, make_user):
    from core.db import user_scope

    assert "role_grant" in EXTRA_VISIBILITY
    a = make_tenant()
    alice = make_user(("staff", a))
    bob = make_user(("staff", a))
    with user_scope(alice.id):
        users = db_session.execute(text("SELECT user_id FROM role_grant")).scalars().all()
    assert users == [alice.id] and bob.id not in users


def test_the_tenant_setting_does_not_leak_through_the_pool(app, test_settings):
    """Pool of one connection: tenant A's transaction, then a transaction with no tenant."""
    engine = create_engine(test_settings.database_url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            with tenant_scope(1, 2):
                with conn.begin():
                    apply_rls_settings(conn)
                    assert conn.scalar(text("SELECT current_setting('samverka.tenant_ids', true)")) == "1,2"
        with engine.connect() as conn:
            with conn.begin():
                leaked = conn.scalar(text("SELECT current_setting('samverka.tenant_ids', true)"))
                assert leaked in (None, "")
        with engine.connect() as conn:
            with tenant_scope(3):
                with conn.begin():
                    apply_rls_settings(conn)
                    assert conn.scalar(text("SELECT current_setting('samverka.tenant_ids', true)")) == "3"
    finally:
        engine.dispose()
    assert db.engine.dialect.name == "postgresql"
