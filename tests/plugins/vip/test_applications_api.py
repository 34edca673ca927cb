"""VIP applications through the REST API: registering, reading, withdrawal, duplicates and merging."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db import tenant_scope
from core.jobs.models import OutboxMessage
from core.people.models import Person
from plugins.vip.models import Application, ApplicationStatus
from core.testing.app import login
from tests.plugins.vip.test_applications import PNR, _audit, submit, vault  # noqa: F401  (fixtures)

BODY = {
    "first_name": "Anna", "last_name": "Berg", "contact_via": "self", "phone": "070-123 45 67",
    "email": "anna.berg@example.org", "audience": "women", "taken_before": "no", "consent": True,
    "consent_given_by": "self",
}


@pytest.fixture
def api(client, coordinator, vip_tenant):
    login(client, coordinator)
    return client, f"/api/v1/t/{vip_tenant.slug}/vip/applications"


def test_staff_register_an_application_paper_by_default(api, vip_tenant, db_session):
    client, base = api
    response = client.post(base, json={**BODY, "national_id": PNR, "birth_year": 1981, "needs": "Ramp",
                                       "interpreter_needed": True, "interpreter_language": "Arabic"})
    assert response.status_code == 201
    body = response.json
    assert (body["channel"], body["status"], body["audience"], body["taken_before"]) == ("paper", "waiting", "women", False)
    assert body["applicant"]["national_id_masked"] == "********-9876" and "811218" not in str(body)
    assert body["applicant"]["interpreter_language"] == "Arabic" and body["needs"] == "Ramp"
    assert body["has_consent"] is True and body["created_person"] is True and body["possible_duplicate"] is False
    with tenant_scope(vip_tenant.id):
        [message] = db_session.scalars(select(OutboxMessage)).all()
    assert message.recipient == "anna.berg@example.org" and message.idempotency_key == f"vip.ack.{body['id']}"


def test_the_channel_may_be_web(api):
    client, base = api
    assert client.post(base, json={**BODY, "channel": "web"}).json["channel"] == "web"


@pytest.mark.parametrize(("changes", "field"), [
    ({"first_name": None}, "first_name"),
    ({"first_name": 42}, "first_name"),
    ({"contact_via": "neighbour"}, "contact_via"),
    ({"phone": None, "email": None}, "phone"),
    ({"contact_via": "guardian"}, "contact_name"),
    ({"audience": "men", "taken_before": "sometimes"}, "taken_before"),
    ({"audience": "children"}, "audience"),
    ({"consent": False}, "consent"),
    ({"consent": "maybe"}, "consent"),
    ({"consent_given_by": "friend"}, "consent_given_by"),
    ({"national_id": "19811218-9877"}, "national_id"),
    ({"national_id_country": "NO", "national_id": "1"}, "national_id_country"),
    ({"channel": "fax"}, "channel"),
    ({"applied_on": "2999-01-01"}, "applied_on"),
    ({"applied_on": "yesterday"}, "applied_on"),
    ({"language": "de"}, "language"),
    ({"birth_year": "old"}, "birth_year"),
    ({"person_id": 0}, "person_id"),
    ({"person_id": 2**40}, "person_id"),
])
def test_invalid_applications_are_422_with_the_field(api, vip_tenant, db_session, changes, field):
    client, base = api
    body = {k: v for k, v in {**BODY, **changes}.items() if v is not None}
    response = client.post(base, json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"] and isinstance(response.json["errors"][field], list)
    with tenant_scope(vip_tenant.id):
        assert db_session.scalars(select(Application)).all() == []


def test_an_audience_the_tenant_does_not_run_is_422(client, make_vip_tenant, make_user):
    tenant = make_vip_tenant(audiences=["young_women"])
    login(client, make_user(("vip.coordinator", tenant)))
    response = client.post(f"/api/v1/t/{tenant.slug}/vip/applications", json=BODY)
    assert response.status_code == 422 and "audience" in response.json["errors"]


def test_a_body_that_is_not_an_object_is_422(api):
    client, base = api
    assert client.post(base, json=["Anna"]).status_code == 422
    assert client.post(base, data="{not json", content_type="application/json").status_code in (400, 422)


def test_an_application_may_be_attached_to_a_registered_person(api, make_person, vip_tenant, make_vip_tenant):
    client, base = api
    person = make_person(vip_tenant, first_name="Anna", last_name="Berg")
    attached = client.post(base, json={**BODY, "person_id": person.id})
    assert attached.status_code == 201
    assert attached.json["person_id"] == person.id and attached.json["created_person"] is False
    stranger = make_person(make_vip_tenant())
    refused = client.post(base, json={**BODY, "person_id": stranger.id})
    assert refused.status_code == 422 and "person_id" in refused.json["errors"]


def test_attaching_to_someone_already_in_line_is_refused(api, make_person, vip_tenant, db_session):
    client, base = api
    person = make_person(vip_tenant, first_name="Anna", last_name="Berg")
    assert client.post(base, json={**BODY, "person_id": person.id}).status_code == 201
    again = client.post(base, json={**BODY, "person_id": person.id}, headers={"Accept-Language": "en"})
    assert again.status_code == 422 and again.mimetype == "application/problem+json"
    assert "already has an open application" in again.json["errors"]["person_id"][0]
    listed = client.get(base, query_string={"audience": BODY["audience"]}).json
    assert [a["person_id"] for a in listed["items"]] == [person.id]  # one place in the line, not two


def test_the_list_filters_and_flags_duplicates(api, submit):
    client, base = api
    first = submit(phone="0701234567", email=None)
    second = submit(phone="070 123 45 67", email=None, audience="men")
    submit(first_name="Bodil", phone="0709999999", email=None)
    body = client.get(base).json
    assert body["total"] == 3
    flags = {item["id"]: item["possible_duplicate"] for item in body["items"]}
    assert flags[first.id] and flags[second.id] and sum(flags.values()) == 2
    assert [i["id"] for i in client.get(f"{base}?audience=men").json["items"]] == [second.id]
    assert client.get(f"{base}?status=withdrawn").json["total"] == 0
    assert client.get(f"{base}?channel=web").json["total"] == 3
    paged = client.get(f"{base}?per_page=2&page=2").json
    assert (paged["page"], paged["per_page"], len(paged["items"])) == (2, 2, 1)
    for bad in ("audience=kids", "status=lost", "channel=fax", "per_page=0", "page=-1"):
        response = client.get(f"{base}?{bad}")
        assert response.status_code == 422, bad


def test_the_list_runs_a_constant_number_of_queries(api, submit, query_counter):
    client, base = api
    submit()
    query_counter.assert_constant(client, [base], lambda: [submit(first_name=f"N{n}") for n in range(10)])


def test_reading_an_application_shows_the_contact_and_audits_the_read(api, submit, vip_tenant, db_session):
    client, base = api
    application = submit(contact_via="guardian", contact_name="Greta Berg", contact_email="greta@example.org")
    body = client.get(f"{base}/{application.id}").json
    assert (body["contact_via"], body["contact_name"], body["contact_email"]) == ("guardian", "Greta Berg", "greta@example.org")
    assert body["applicant"]["first_name"] == "Anna" and body["offers"] == []
    reads = [e.object_id for e in _audit(vip_tenant, db_session, AuditEvent.object_id, action="person.read")]
    assert reads == [str(application.person_id)]


def test_a_protected_identity_withholds_every_contact_detail(api, submit, make_person, vip_tenant):
    client, base = api
    protected = make_person(vip_tenant, first_name="Anna", last_name="Berg", protected_identity=True,
                            phone="0701234567")
    application = submit(person=protected, contact_via="contact_person", contact_name="Kim",
                         contact_phone="016123456")
    body = client.get(f"{base}/{application.id}").json
    assert body["applicant"]["contact_withheld"] is True and body["applicant"]["phone"] is None
    assert (body["contact_name"], body["contact_phone"], body["contact_email"]) == (None, None, None)


def test_an_application_of_tenant_a_is_readable_in_a(api, submit):
    client, base = api
    application = submit()
    assert client.get(f"{base}/{application.id}").status_code == 200
    assert client.get(f"{base}/{application.id}/duplicates").status_code == 200


def test_an_application_of_tenant_b_is_not_found_through_a(api, submit, make_vip_tenant):
    client, base = api
    other = submit(make_vip_tenant())
    assert client.get(f"{base}/{other.id}").status_code == 404
    assert client.get(f"{base}/{other.id}/duplicates").status_code == 404
    assert client.post(f"{base}/{other.id}/withdrawal", json={"reason": "other"}).status_code == 404
    assert client.post(f"{base}/{other.id}/merge", json={"person_id": other.person_id}).status_code == 404
    assert client.get(f"{base}/{2**31}").status_code == 404


def test_the_api_needs_the_applications_permission(client, make_user, vip_tenant, submit):
    application = submit()
    base = f"/api/v1/t/{vip_tenant.slug}/vip/applications"
    assert client.get(base).status_code == 401
    login(client, make_user(("vip.leader", vip_tenant)))
    assert client.get(base).status_code == 403
    assert client.get(f"{base}/{application.id}").status_code == 403
    assert client.post(base, json=BODY).status_code == 403


def test_withdrawal(api, submit, vip_tenant, db_session):
    client, base = api
    application = submit()
    assert client.post(f"{base}/{application.id}/withdrawal", json={"reason": "bored"}).status_code == 422
    assert client.post(f"{base}/{application.id}/withdrawal", json={}).status_code == 422
    done = client.post(f"{base}/{application.id}/withdrawal", json={"reason": "moved_away"})
    assert done.status_code == 200
    assert (done.json["status"], done.json["closed_reason"]) == ("withdrawn", "moved_away")
    again = client.post(f"{base}/{application.id}/withdrawal", json={"reason": "moved_away"})
    assert again.status_code == 409 and again.json["status"] == 409


def test_duplicates_are_listed_and_merged_only_on_request(api, submit, vip_tenant, db_session):
    client, base = api
    first = submit(phone="0701234567", email=None, national_id=PNR)
    second = submit(first_name="Annie", last_name="Lind", phone="0708888888", email=None, national_id=PNR)
    [found] = client.get(f"{base}/{second.id}/duplicates").json
    assert found["person"]["id"] == first.person_id and found["reasons"] == ["national_id"]
    assert found["application_ids"] == [first.id]
    with tenant_scope(vip_tenant.id):
        assert db_session.get(Application, second.id).person_id == second.person_id  # nothing merged by looking

    merged = client.post(f"{base}/{second.id}/merge", json={"person_id": first.person_id})
    assert merged.status_code == 200
    assert merged.json["person_id"] == first.person_id and merged.json["status"] == "closed"
    assert merged.json["closed_reason"] == "merged"  # the same group twice: the earlier one stays in line
    with tenant_scope(vip_tenant.id):
        assert db_session.get(Application, first.id, populate_existing=True).status == ApplicationStatus.waiting
        assert db_session.get(Person, second.person_id, populate_existing=True) is None  # the record it made is erased


def test_merge_refuses_unknown_people_and_the_applicant_themself(api, submit, make_person, make_vip_tenant):
    client, base = api
    application = submit()
    for body in ({}, {"person_id": "x"}, {"person_id": 0},
                 {"person_id": make_person(make_vip_tenant()).id}, {"person_id": application.person_id}):
        response = client.post(f"{base}/{application.id}/merge", json=body)
        assert response.status_code == 422 and "person_id" in response.json["errors"], body


def test_merge_keeps_the_applicants_record_under_a_legal_hold(api, submit, vip_tenant, db_session):
    client, base = api
    into = submit(phone="0701234567", email=None)
    application = submit(phone="0701234567", email=None, audience="men")
    with tenant_scope(vip_tenant.id):
        db_session.get(Person, application.person_id).legal_hold_reason = "Court order"
        db_session.commit()
    response = client.post(f"{base}/{application.id}/merge", json={"person_id": into.person_id})
    # The record the application made cannot be erased: the merge happens, the record stays.
    assert response.status_code == 200 and response.json["person_id"] == into.person_id
    with tenant_scope(vip_tenant.id):
        assert db_session.get(Person, application.person_id) is not None


@pytest.mark.parametrize(("field", "value"), [("first_name", "Anna\u202egreB"), ("last_name", "Be\x07rg"),
                                              ("contact_name", "Eva\u2067"), ("needs", "Ramp\u202e")])
def test_names_and_needs_refuse_controls_and_direction_overrides(api, field, value):
    client, base = api
    body = {**BODY, "contact_via": "contact_person", "contact_name": "Eva Berg", "contact_phone": "070-1", field: value}
    response = client.post(base, json=body)
    assert response.status_code == 422 and field in response.json["errors"]


def test_names_are_stored_in_nfc_and_needs_keep_their_line_breaks(api):
    client, base = api
    response = client.post(base, json={**BODY, "first_name": "A\u030asa", "needs": "Ramp\r\nQuiet room"})
    assert response.status_code == 201
    assert response.json["first_name"] == "\u00c5sa" and response.json["needs"] == "Ramp\nQuiet room"
