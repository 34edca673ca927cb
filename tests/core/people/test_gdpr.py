"""GDPR: export, erasure and anonymisation, legal hold, retention, consent withdrawal."""

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from core.audit.models import AuditEvent
from core.db import tenant_scope
from core.people.models import Person
from tests.core import sample_plugin
from core.testing.app import login


@pytest.fixture
def admin(client, make_tenant, make_user):
    tenant = make_tenant(plugins={"sample": {}})
    login(client, make_user(("tenant_admin", tenant)))
    return client, tenant


def test_export_as_a_readable_page_and_as_json(admin, make_person):
    client, tenant = admin
    person = make_person(tenant, first_name="Maja", email="maja@example.org", national_id="811218-9876")
    page = client.get(f"/t/{tenant.slug}/people/{person.id}/export", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "maja@example.org" in page.text and "Programme: Sample programme" in page.text
    assert "8112189876" not in page.text
    download = client.get(f"/t/{tenant.slug}/people/{person.id}/export?format=json")
    data = json.loads(download.data)
    assert data["person"]["first_name"] == "Maja" and data["plugins"] == {"sample": {"sample": "record"}}
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/api/v1/t/{tenant.slug}/people/{person.id}/export").json["plugins"]["sample"]


def test_the_export_shows_times_on_the_tenants_clock(admin, make_person):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    client, tenant = admin
    person = make_person(tenant, first_name="Maja")
    data = client.get(f"/api/v1/t/{tenant.slug}/people/{person.id}/export").json
    created = datetime.fromisoformat(data["person"]["created_at"])
    assert created.utcoffset() == ZoneInfo(tenant.timezone).utcoffset(created.replace(tzinfo=None))
    assert created.utcoffset().total_seconds() > 0  # a Nordic clock, not UTC


def test_staff_may_not_export_or_erase(client, make_tenant, make_user, make_person):
    tenant = make_tenant()
    person = make_person(tenant)
    login(client, make_user(("staff", tenant)))
    assert client.get(f"/t/{tenant.slug}/people/{person.id}/export").status_code == 403
    assert client.post(f"/api/v1/t/{tenant.slug}/people/{person.id}/erasure", json={}).status_code == 403


def test_erasure_through_the_page_reaches_plugins_and_is_audited_without_data(admin, make_person, db_session):
    client, tenant = admin
    person = make_person(tenant, first_name="Maja")
    sample_plugin.calls.clear()
    unconfirmed = client.post(f"/t/{tenant.slug}/people/{person.id}/erase", data={"mode": "erase"})
    assert unconfirmed.status_code == 422
    client.post(f"/t/{tenant.slug}/people/{person.id}/erase", data={"mode": "erase", "confirm": "yes"})
    assert ("erase", person.id) in sample_plugin.calls
    with tenant_scope(tenant.id):
        assert db_session.scalar(select(Person).where(Person.id == person.id)) is None
        event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "person.erase")).one()
    assert event.object_id == str(person.id) and "Maja" not in json.dumps(event.detail)


def test_anonymisation_through_the_api(admin, make_person, db_session):
    client, tenant = admin
    person = make_person(tenant, first_name="Maja")
    body = client.post(f"/api/v1/t/{tenant.slug}/people/{person.id}/erasure", json={"anonymise": True}).json
    assert body["reports"]["core"]["anonymised"] == {"person": 1}
    assert client.get(f"/api/v1/t/{tenant.slug}/people/{person.id}").status_code == 404


def test_a_legal_hold_stops_erasure(admin, make_person, db_session):
    client, tenant = admin
    person_id = make_person(tenant).id
    with tenant_scope(tenant.id):
        db_session.get(Person, person_id).legal_hold_reason = "Court order 2026-123"
        db_session.commit()
    assert client.post(f"/api/v1/t/{tenant.slug}/people/{person_id}/erasure", json={}).status_code == 409
    page = client.post(f"/t/{tenant.slug}/people/{person_id}/erase", data={"mode": "erase", "confirm": "yes"})
    assert page.status_code == 422 and "Court order 2026-123" in page.text


def test_a_person_anonymised_meanwhile_is_not_erased_again(app, make_tenant, make_person, db_session):
    """The erasure locks the person's row and reads it afresh: a request that read the
    person before someone else anonymised them finds them gone (the API answers 404)."""
    from core.people import services

    tenant = make_tenant(plugins={"sample": {}})
    person_id = make_person(tenant, first_name="Maja").id
    hooks = app.extensions["samverka"].registry.relay(set())
    with tenant_scope(tenant.id):
        stale = db_session.get(Person, person_id)
        db_session.execute(update(Person).where(Person.id == person_id).values(anonymised_at=datetime.now(timezone.utc),
                                                                              first_name=""))
        with pytest.raises(services.PersonGone):
            services.erase_person(db_session, hooks, stale, anonymise=False)
        assert db_session.get(Person, person_id) is not None
        assert db_session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(("person.erase", "person.anonymise")))).all() == []


def test_retention_job_anonymises_once_and_respects_holds(app, db_session, make_tenant, make_person):
    from core.jobs.services import run_due_jobs

    tenant = make_tenant(plugins={"sample": {}})
    due = make_person(tenant, retain_until=None)
    held = make_person(tenant)
    fresh = make_person(tenant)
    with tenant_scope(tenant.id):
        for person, until, hold in ((due, date(2026, 1, 1), None), (held, date(2026, 1, 1), "Case"),
                                    (fresh, date(2099, 1, 1), None)):
            row = db_session.get(Person, person.id)
            row.retain_until, row.legal_hold_reason = until, hold
        db_session.commit()
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    run_due_jobs(db_session, app.extensions["samverka"], now)
    run_due_jobs(db_session, app.extensions["samverka"], now + timedelta(days=1))
    with tenant_scope(tenant.id):
        rows = {p.id: p for p in db_session.scalars(select(Person))}
        anonymised = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "person.anonymise")).all()
    assert rows[due.id].anonymised_at is not None and rows[due.id].first_name == ""
    assert rows[held.id].anonymised_at is None and rows[fresh.id].anonymised_at is None
    assert len(anonymised) == 1


def test_hook_consent_withdrawn_tells_the_plugin(admin, make_person, db_session):
    client, tenant = admin
    person = make_person(tenant)
    created = client.post(f"/api/v1/t/{tenant.slug}/people/{person.id}/consents",
                          json={"purpose": "Sample", "plugin": "sample", "given_by": "self", "given_on": "2026-01-01"}).json
    sample_plugin.calls.clear()
    client.put(f"/api/v1/t/{tenant.slug}/people/{person.id}/consents/{created['id']}/withdrawal",
               json={"withdrawn_on": "2026-02-01"})
    assert sample_plugin.calls == [("consent_withdrawn", person.id)]
