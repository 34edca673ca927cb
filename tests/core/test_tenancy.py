"""Central tenant scoping: A sees A, A never sees B, and nothing runs outside a tenant."""

import pytest
from sqlalchemy import func, select

from core.db import TenancyError, tenant_scope
from core.tenants.models import TenantPlugin


@pytest.fixture
def two_tenants(make_tenant):
    return make_tenant("tenant-a", plugins={"sample": {}}), make_tenant("tenant-b", plugins={"sample": {}})


def test_a_sees_its_own_rows(db_session, two_tenants):
    a, _b = two_tenants
    with tenant_scope(a.id):
        rows = db_session.scalars(select(TenantPlugin)).all()
    assert [r.tenant_id for r in rows] == [a.id]


def test_a_cannot_see_b_rows(db_session, two_tenants):
    a, b = two_tenants
    with tenant_scope(a.id):
        assert db_session.scalars(select(TenantPlugin).where(TenantPlugin.tenant_id == b.id)).all() == []
        assert db_session.get(TenantPlugin, _row_id(db_session, b)) is None or _row_id(db_session, b) is None


def _row_id(db_session, tenant):
    with tenant_scope(tenant.id):
        return db_session.scalar(select(TenantPlugin.id))


def test_a_cannot_update_or_delete_b_rows(db_session, two_tenants):
    from sqlalchemy import delete, update

    a, b = two_tenants
    with tenant_scope(a.id):
        db_session.execute(update(TenantPlugin).values(enabled=False))
        db_session.execute(delete(TenantPlugin).where(TenantPlugin.tenant_id == b.id))
    with tenant_scope(b.id):
        assert db_session.scalar(select(TenantPlugin.enabled)) is True
    with tenant_scope(a.id):
        assert db_session.scalar(select(TenantPlugin.enabled)) is False


def test_a_query_outside_any_tenant_fails_closed(db_session, two_tenants):
    with pytest.raises(TenancyError):
        db_session.scalars(select(TenantPlugin)).all()


def test_an_insert_takes_the_current_tenant(db_session, two_tenants):
    a, _b = two_tenants
    with tenant_scope(a.id):
        row = TenantPlugin(plugin="other")
        db_session.add(row)
        db_session.flush()
    assert row.tenant_id == a.id


def test_an_insert_outside_any_tenant_fails_closed(db_session, two_tenants):
    db_session.add(TenantPlugin(plugin="other"))
    with pytest.raises(TenancyError):
        db_session.flush()
    db_session.rollback()


def test_an_insert_into_another_tenant_is_refused(db_session, two_tenants):
    a, b = two_tenants
    with tenant_scope(a.id):
        db_session.add(TenantPlugin(plugin="other", tenant_id=b.id))
        with pytest.raises(TenancyError):
            db_session.flush()
    db_session.rollback()


def test_an_aggregate_scope_sees_exactly_its_tenants(db_session, two_tenants, make_tenant):
    a, b = two_tenants
    c = make_tenant(plugins={"sample": {}})
    with tenant_scope(a.id, b.id):
        seen = set(db_session.scalars(select(TenantPlugin.tenant_id)))
    assert seen == {a.id, b.id} and c.id not in seen


def test_a_count_over_a_subquery_is_scoped(db_session, two_tenants):
    from sqlalchemy import func

    a, _b = two_tenants
    with tenant_scope(a.id):
        count = db_session.scalar(select(func.count()).select_from(select(TenantPlugin).subquery()))
    assert count == 1


def test_a_subquery_outside_any_tenant_fails_closed(db_session, two_tenants):
    from sqlalchemy import func

    with pytest.raises(TenancyError):
        db_session.scalar(select(func.count()).select_from(select(TenantPlugin).subquery()))


def test_a_tenant_table_queried_without_its_class_is_refused(db_session, two_tenants):
    a, _b = two_tenants
    with tenant_scope(a.id), pytest.raises(TenancyError, match="mapped class"):
        db_session.execute(select(TenantPlugin.__table__)).all()


def test_a_page_count_over_a_join_or_an_in_subquery_counts_the_tenants_rows_only(db_session, make_tenant,
                                                                                    make_person):
    """A page of one table filtered through another (a WHERE on a joined entity, an IN over a
    sub-select) counts A's rows, never B's, and is not mistaken for raw table access."""
    from core.pagination import paginate
    from core.people.models import Consent, Person
    from core.people.services import add_consent

    a, b = make_tenant(), make_tenant()
    for tenant in (a, b, b):
        person = make_person(tenant, first_name="Ada")
        with tenant_scope(tenant.id):
            add_consent(db_session, person, purpose="Groups", given_by="self", given_on=person.created_at.date())
    joined = select(Consent).join(Person, Person.id == Consent.person_id).where(Person.first_name == "Ada")
    nested = select(Consent).where(Consent.person_id.in_(select(Person.id).where(Person.first_name == "Ada")))
    for stmt in (joined, nested):
        with tenant_scope(a.id):
            assert paginate(db_session, stmt).total == 1
        with tenant_scope(b.id):
            assert paginate(db_session, stmt).total == 2


def test_a_tenant_table_in_a_sub_select_without_its_class_is_refused(db_session, two_tenants):
    a, _b = two_tenants
    table = TenantPlugin.__table__
    stmt = select(TenantPlugin).where(TenantPlugin.id.in_(select(table.c.id)))
    with tenant_scope(a.id), pytest.raises(TenancyError, match="mapped class"):
        db_session.scalar(select(func.count()).select_from(stmt.subquery()))
