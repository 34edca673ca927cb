"""The audit log: what is recorded, who can read it, and that nobody can change it."""

import csv
import io

import pytest
from sqlalchemy import select, text

from core.audit.models import AuditEvent
from core.db import tenant_scope, user_scope
from core.testing.app import login
from core.testing.database import require_postgresql


def _actions(db_session, tenant):
    with tenant_scope(tenant.id):
        return [e.action for e in db_session.scalars(
            select(AuditEvent).where(AuditEvent.tenant_id == tenant.id).order_by(AuditEvent.id))]


def test_reading_and_changing_a_person_is_recorded_without_the_data(client, db_session, make_tenant, make_user, make_person):
    tenant = make_tenant()
    user = make_user(("staff", tenant))
    person = make_person(tenant, first_name="Sigrid")
    login(client, user)
    client.get(f"/t/{tenant.slug}/people/{person.id}")
    client.get(f"/api/v1/t/{tenant.slug}/people/{person.id}")
    client.patch(f"/api/v1/t/{tenant.slug}/people/{person.id}", json={"phone": "123"})
    assert _actions(db_session, tenant) == ["person.create", "person.read", "person.read", "person.update"]
    with tenant_scope(tenant.id):
        update = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "person.update")).one()
    assert (update.user_id, update.object_id, update.detail) == (user.id, str(person.id), {"fields": ["phone"]})
    assert update.client_address == "127.0.0.1"
    assert "Sigrid" not in str([e.detail for e in db_session.scalars(select(AuditEvent)) if e.tenant_id == tenant.id])


def test_a_list_is_not_a_read_of_each_person(client, db_session, make_tenant, make_user, make_person):
    tenant = make_tenant()
    make_person(tenant)
    login(client, make_user(("staff", tenant)))
    client.get(f"/t/{tenant.slug}/people/")
    assert "person.read" not in _actions(db_session, tenant)


def test_sign_in_and_failed_sign_in_are_recorded(client, db_session, make_tenant, make_user):
    tenant = make_tenant()
    user = make_user(("staff", tenant), email="audit@example.org", password="a long enough password")
    client.post("/login", data={"email": "audit@example.org", "password": "wrong"})
    client.post("/login", data={"email": "nobody@example.org", "password": "wrong"})
    client.post("/login", data={"email": "audit@example.org", "password": "a long enough password"})
    assert _actions(db_session, tenant) == ["login"]
    with user_scope(user.id):  # events of no tenant are visible to their own user only
        failed = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed",
                                                             AuditEvent.user_id.is_(None) | (AuditEvent.user_id == user.id))).all()
    mine = [e for e in failed if e.object_id == str(user.id)]
    assert len(mine) == 1 and mine[0].tenant_id is None and mine[0].detail == {"reason": "credentials"}


@pytest.fixture
def auditor(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("auditor", tenant)))
    return client, tenant


def test_auditors_filter_the_log(auditor, make_person, db_session):
    client, tenant = auditor
    make_person(tenant)
    page = client.get(f"/t/{tenant.slug}/audit/?action=person.")
    assert page.status_code == 200 and "person.create" in page.text
    assert "person.create" not in client.get(f"/t/{tenant.slug}/audit/?action=login").text
    assert "audit.read" in _actions(db_session, tenant)


def test_auditors_export_csv(auditor, make_person):
    client, tenant = auditor
    make_person(tenant)
    response = client.get(f"/t/{tenant.slug}/audit/export.csv?action=person")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert response.mimetype == "text/csv" and [r["action"] for r in rows] == ["person.create"]


def test_the_log_and_its_export_show_the_tenants_clock(auditor, make_person, db_session):
    """#7 item 14: a Swedish tenant's events at Swedish time, the export with its offset."""
    from zoneinfo import ZoneInfo

    client, tenant = auditor
    make_person(tenant)
    with tenant_scope(tenant.id):
        moment = db_session.scalar(select(AuditEvent.occurred_at).where(AuditEvent.action == "person.create"))
    local = moment.astimezone(ZoneInfo("Europe/Stockholm"))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in client.get(f"/t/{tenant.slug}/audit/?action=person").text
    [row] = csv.DictReader(io.StringIO(client.get(f"/t/{tenant.slug}/audit/export.csv?action=person").text))
    assert row["occurred_at"] == local.isoformat() and row["occurred_at"][-6:] in ("+01:00", "+02:00")
    day = local.date().isoformat()
    assert "person.create" in client.get(f"/t/{tenant.slug}/audit/?action=person&since={day}&until={day}").text


def test_tenant_a_sees_its_own_events(auditor, make_person):
    client, tenant = auditor
    person = make_person(tenant)
    assert f"person {person.id}" in client.get(f"/t/{tenant.slug}/audit/").text


def test_tenant_a_does_not_see_tenant_b_events(auditor, make_tenant, make_person):
    client, tenant = auditor
    other = make_person(make_tenant())
    assert f"person {other.id}" not in client.get(f"/t/{tenant.slug}/audit/").text


def test_staff_cannot_read_the_log(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("staff", tenant)))
    assert client.get(f"/t/{tenant.slug}/audit/").status_code == 403


def test_audit_page_runs_constant_queries(auditor, make_person, query_counter):
    client, tenant = auditor
    make_person(tenant)
    client.get(f"/t/{tenant.slug}/audit/")  # so both pages show events with a user (one name query)
    query_counter.assert_constant(client, [f"/t/{tenant.slug}/audit/"], lambda: [make_person(tenant) for _ in range(20)])


def test_the_application_role_cannot_change_or_delete_audit_rows(db_session, make_tenant, make_person):
    require_postgresql()
    from sqlalchemy.exc import ProgrammingError

    tenant = make_tenant()
    make_person(tenant)
    with tenant_scope(tenant.id):
        for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(ProgrammingError, match="permission denied"):
                with db_session.begin_nested():
                    db_session.execute(text(statement))
        assert db_session.execute(text("SELECT count(*) FROM audit_event")).scalar() >= 1


@pytest.mark.parametrize("query", ["user=99999999999999999999999999", "user=²", "page=99999999999999999999999",
                                   "since=9999-12-31&until=9999-12-31"])
def test_odd_filters_are_answered_not_a_500(client, make_tenant, make_user, query):
    tenant = make_tenant()
    login(client, make_user(("auditor", tenant)))
    for page in ("", "export.csv"):
        assert client.get(f"/t/{tenant.slug}/audit/{page}?{query}").status_code == 200, (page, query)


def test_a_user_id_no_row_can_have_matches_no_event(client, db_session, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("auditor", tenant)))
    client.get(f"/t/{tenant.slug}/audit/")  # one audit.read event
    rows = client.get(f"/t/{tenant.slug}/audit/export.csv?user=99999999999999999999").get_data(as_text=True)
    assert len(rows.strip().splitlines()) == 1  # the header only
