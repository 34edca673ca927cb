"""VIP outreach by single entry: matching people, date rules, coverage, the pages and the API."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.people.models import Person
from plugins.vip.models import Outreach
from plugins.vip.services import outreach as services
from core.testing.app import login

TODAY = date.today()


def pnr(born: str, serial: str = "123") -> str:
    """A valid Swedish personnummer ``YYYYMMDD-NNNC`` for a birth date and a serial."""
    digits = born[2:] + serial
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return f"{born}-{serial}{(10 - total % 10) % 10}"


@pytest.fixture
def vault(app):
    return app.extensions["samverka"].vault


@pytest.fixture
def record(db_session, vault, vip_tenant, in_tenant):
    """``record(data)``: services.record in ``vip_tenant``, committed."""

    def run(data, tenant=None):
        tenant = tenant or vip_tenant
        with in_tenant(tenant):
            done = services.record(db_session, vault, data, country=tenant.country)
            db_session.commit()
            return done

    return run


def count(db_session, tenant, model) -> int:
    from core.db import tenant_scope

    with tenant_scope(tenant.id):
        return db_session.scalar(select(func.count()).select_from(model))


# --- The service ---------------------------------------------------------------------------


def test_recording_a_new_person_creates_them_and_their_row(record, db_session, vip_tenant, in_tenant):
    done = record({"first_name": "Sara", "last_name": "Lind", "birth_date": date(1990, 4, 12),
                   "service": "Daglig verksamhet Norr", "informed_on": TODAY})
    assert done.created and done.person_created
    assert (done.outreach.service, done.outreach.informed_on, done.outreach.offered_on) == \
        ("Daglig verksamhet Norr", TODAY, None)
    with in_tenant(vip_tenant):
        person = db_session.get(Person, done.outreach.person_id)
        assert (person.first_name, person.birth_date) == ("Sara", date(1990, 4, 12))
        event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "vip.outreach.create")).one()
    assert event.object_id == str(done.outreach.id) and "Sara" not in str(event.detail)


def test_a_person_is_matched_by_national_id_and_the_number_is_never_audited(record, make_person, vip_tenant,
                                                                             db_session, in_tenant):
    number = pnr("19811218")
    existing = make_person(vip_tenant, first_name="Omar", last_name="Haddad", national_id=number)
    done = record({"first_name": "O.", "last_name": "Haddad-Ali", "national_id": number.replace("-", "")})
    assert done.outreach.person_id == existing.id and not done.person_created
    assert count(db_session, vip_tenant, Person) == 1
    with in_tenant(vip_tenant):
        details = [str(e.detail) for e in db_session.scalars(select(AuditEvent))]
    assert not any("811218" in d for d in details)


def test_the_national_id_is_parsed_once_to_check_and_match_it(record, make_person, vip_tenant, monkeypatch):
    from core.people import matching
    from core.people import services as people
    from core.people.national_id import parse

    number = pnr("19811218")
    existing = make_person(vip_tenant, first_name="Omar", last_name="Haddad", national_id=number)
    parsed = []

    def counting(country, raw, **kwargs):
        parsed.append(country)
        return parse(country, raw, **kwargs)

    monkeypatch.setattr(services, "parse_national_id", counting)  # VIP's name for it (core.toolkit)
    for module in (matching, people):
        monkeypatch.setattr(module, "parse", counting)
    done = record({"first_name": "Omar", "last_name": "Haddad", "national_id": number})
    assert done.outreach.person_id == existing.id and parsed == ["SE"]


def test_a_person_is_matched_by_name_and_birth_date_whatever_the_case(record, make_person, vip_tenant, db_session):
    existing = make_person(vip_tenant, first_name="Sara", last_name="Lind", birth_date=date(1990, 4, 12))
    done = record({"first_name": "sara ", "last_name": "LIND", "birth_date": date(1990, 4, 12)})
    assert done.outreach.person_id == existing.id and not done.person_created
    assert count(db_session, vip_tenant, Person) == 1


def test_a_namesake_with_another_birth_date_is_another_person(record, make_person, vip_tenant, db_session):
    existing = make_person(vip_tenant, first_name="Sara", last_name="Lind", birth_date=date(1990, 4, 12))
    done = record({"first_name": "Sara", "last_name": "Lind", "birth_date": date(1991, 4, 12)})
    assert done.person_created and done.outreach.person_id != existing.id
    assert count(db_session, vip_tenant, Person) == 2


def test_a_namesake_with_another_national_id_is_another_person(record, make_person, vip_tenant):
    make_person(vip_tenant, first_name="Sara", last_name="Lind", national_id=pnr("19811218", "234"))
    done = record({"first_name": "Sara", "last_name": "Lind", "national_id": pnr("19811218", "345")})
    assert done.person_created


def test_a_birth_year_matches_one_namesake_and_two_are_ambiguous(record, make_person, vip_tenant, db_session):
    first = make_person(vip_tenant, first_name="Sara", last_name="Lind", birth_date=date(1990, 4, 12))
    assert record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990}).outreach.person_id == first.id
    make_person(vip_tenant, first_name="Sara", last_name="Lind", birth_year=1990)
    with pytest.raises(services.OutreachError) as caught:
        record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990})
    assert "_schema" in caught.value.errors
    db_session.rollback()
    assert count(db_session, vip_tenant, Person) == 2


def test_a_person_of_another_tenant_is_never_matched(record, make_person, make_vip_tenant, vip_tenant):
    other = make_vip_tenant()
    theirs = make_person(other, first_name="Sara", last_name="Lind", birth_date=date(1990, 4, 12))
    done = record({"first_name": "Sara", "last_name": "Lind", "birth_date": date(1990, 4, 12)})
    assert done.person_created and done.outreach.person_id != theirs.id
    with pytest.raises(services.OutreachError) as caught:
        record({"person_id": theirs.id})
    assert "person_id" in caught.value.errors


@pytest.mark.parametrize(("data", "field"), [
    ({"last_name": "Lind", "birth_year": 1990}, "first_name"),
    ({"first_name": "Sara", "last_name": "Lind"}, "birth_date"),
    ({"first_name": "Sara", "last_name": "Lind", "national_id": "19811218-9877"}, "national_id"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_date": date(1981, 12, 19), "national_id": "19811218-9876"},
     "birth_date"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_date": TODAY + timedelta(days=1)}, "birth_date"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "informed_on": TODAY + timedelta(days=1)},
     "informed_on"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "offered_on": TODAY + timedelta(days=1)},
     "offered_on"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "offered_on": date(1024, 1, 1)}, "offered_on"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "informed_on": TODAY,
      "offered_on": TODAY - timedelta(days=1)}, "informed_on"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "note": "x" * 501}, "note"),
    ({"person_id": 1, "first_name": "Sara"}, "person_id"),
])
def test_invalid_entries_name_the_field_and_create_nothing(record, db_session, vip_tenant, data, field):
    with pytest.raises(services.OutreachError) as caught:
        record(data)
    assert field in caught.value.errors
    assert "19811218" not in str(caught.value.errors)
    db_session.rollback()
    assert count(db_session, vip_tenant, Person) == 0 and count(db_session, vip_tenant, Outreach) == 0


def test_an_offer_counts_as_information(record):
    offered = TODAY - timedelta(days=3)
    done = record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "offered_on": offered})
    assert (done.outreach.informed_on, done.outreach.offered_on) == (offered, offered)


def test_recording_a_person_twice_updates_their_row(record, make_person, vip_tenant, db_session):
    person = make_person(vip_tenant)
    first = record({"person_id": person.id, "service": "Gruppbostad", "informed_on": TODAY - timedelta(days=10)})
    again = record({"person_id": person.id, "offered_on": TODAY})
    assert not again.created and again.outreach.id == first.outreach.id
    assert (again.outreach.service, again.outreach.informed_on, again.outreach.offered_on) == \
        ("Gruppbostad", TODAY - timedelta(days=10), TODAY)
    assert count(db_session, vip_tenant, Outreach) == 1


def test_update_clears_and_keeps_an_offer_as_information(record, db_session, vip_tenant, in_tenant):
    done = record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "service": "X",
                   "informed_on": TODAY - timedelta(days=9), "offered_on": TODAY - timedelta(days=2)})
    with in_tenant(vip_tenant):
        row = services.get(db_session, done.outreach.id)
        services.update(db_session, row, {"service": None, "informed_on": None})
        assert (row.service, row.informed_on) == (None, TODAY - timedelta(days=2))
        services.update(db_session, row, {"offered_on": None})
        assert (row.informed_on, row.offered_on) == (TODAY - timedelta(days=2), None)
        with pytest.raises(services.OutreachError):
            services.update(db_session, row, {"informed_on": TODAY + timedelta(days=1)})


def test_coverage_counts_offered_among_all_of_this_tenant(record, make_vip_tenant, vip_tenant, db_session, in_tenant):
    with in_tenant(vip_tenant):
        assert services.coverage(db_session) == (0, 0)
    assert services.coverage_percent(0, 0) is None
    record({"first_name": "A", "last_name": "A", "birth_year": 1990, "offered_on": TODAY})
    record({"first_name": "B", "last_name": "B", "birth_year": 1990, "informed_on": TODAY})
    record({"first_name": "C", "last_name": "C", "birth_year": 1990})
    other = make_vip_tenant()
    record({"first_name": "D", "last_name": "D", "birth_year": 1990, "offered_on": TODAY}, tenant=other)
    with in_tenant(vip_tenant):
        assert services.coverage(db_session) == (1, 3)
    with in_tenant(other):
        assert services.coverage(db_session) == (1, 1)
    assert services.coverage_percent(2, 3) == 66 and services.coverage_percent(199, 200) == 99
    assert services.coverage_percent(3, 3) == 100


def test_coverage_is_one_query(record, vip_tenant, db_session, in_tenant, query_counter):
    for n in range(5):
        record({"first_name": f"P{n}", "last_name": "X", "birth_year": 1990, "offered_on": TODAY})
    with in_tenant(vip_tenant), query_counter.counting() as counted:
        services.coverage(db_session)
    assert counted.count == 1


# --- Pages ---------------------------------------------------------------------------------


@pytest.fixture
def pages(client, coordinator, vip_tenant):
    login(client, coordinator, language="en")
    return client, f"/t/{vip_tenant.slug}/vip/outreach"


@pytest.mark.parametrize("raw", ["²", "٣", "0", "99999999999", "x"])
def test_a_person_id_that_is_no_id_is_refused_never_a_server_error(pages, raw):
    client, base = pages
    assert client.get(f"{base}/new", query_string={"person_id": raw}).status_code == 404
    posted = client.post(f"{base}/new", data={"person_id": raw, "informed_on": TODAY.isoformat()})
    assert posted.status_code == 422 and "There is no such person." in posted.text


def test_the_list_filters_and_shows_coverage(pages, record):
    client, base = pages
    record({"first_name": "Anna", "last_name": "Offered", "birth_year": 1990, "offered_on": TODAY})
    record({"first_name": "Bo", "last_name": "Informed", "birth_year": 1990, "informed_on": TODAY})
    record({"first_name": "Cia", "last_name": "Waiting", "birth_year": 1990})
    page = re.sub(r"\s+", " ", client.get(f"{base}/").text)
    assert "1 of 3 offered (33%)" in page
    assert all(name in page for name in ("Offered, Anna", "Informed, Bo", "Waiting, Cia"))
    shown = {status: client.get(f"{base}/?status={status}").text for status in services.STATUSES}
    assert "Offered, Anna" in shown["offered"] and "Informed, Bo" not in shown["offered"]
    assert "Informed, Bo" in shown["informed"] and "Offered, Anna" not in shown["informed"]
    assert "Waiting, Cia" in shown["not_informed"] and "Informed, Bo" not in shown["not_informed"]
    assert "Waiting, Cia" in client.get(f"{base}/?q=wait").text
    assert client.get(f"{base}/?status=nonsense&page=999999999999").status_code == 200


def test_the_list_runs_constant_queries(pages, record, query_counter):
    client, base = pages
    record({"first_name": "First", "last_name": "X", "birth_year": 1990})

    def grow():
        for n in range(20):
            record({"first_name": f"P{n}", "last_name": "X", "birth_year": 1990,
                    "offered_on": TODAY if n % 2 else None})

    query_counter.assert_constant(client, [f"{base}/", f"{base}/?status=offered"], grow)


def test_adding_a_new_person_through_the_form(pages, db_session, vip_tenant):
    client, base = pages
    response = client.post(f"{base}/new", data={"first_name": "Sara", "last_name": "Lind", "birth_date": "1990-04-12",
                                                "service": "Daglig verksamhet", "offered_on": TODAY.isoformat()})
    assert response.status_code == 302
    page = client.get(f"{base}/").text
    assert "Lind, Sara" in page and "added to the register of people" in page
    assert count(db_session, vip_tenant, Outreach) == 1


def test_the_form_names_a_match_with_someone_registered(pages, make_person, vip_tenant):
    client, base = pages
    make_person(vip_tenant, first_name="Sara", last_name="Lind", birth_date=date(1990, 4, 12))
    response = client.post(f"{base}/new", data={"first_name": "Sara", "last_name": "Lind", "birth_date": "1990-04-12"},
                           follow_redirects=True)
    assert "was already registered" in response.text


def test_a_failed_form_keeps_what_was_typed_but_not_the_national_id(pages, db_session, vip_tenant):
    client, base = pages
    number = pnr("19811218")
    response = client.post(f"{base}/new", data={
        "first_name": "Sara", "last_name": "", "national_id": number, "service": "Gruppbostad Väst",
        "informed_on": "2025-13-45", "offered_on": (TODAY + timedelta(days=3)).isoformat(), "note": "Ring först"})
    assert response.status_code == 422
    page = re.sub(r"\s+", " ", response.text)
    assert 'value="Sara"' in page and 'value="Gruppbostad Väst"' in page and "Ring först" in page
    assert 'value="2025-13-45"' in page and 'id="informed_on-error"' in page
    assert number not in page and "811218" not in page
    assert count(db_session, vip_tenant, Person) == 0


def test_field_errors_from_the_rules_are_shown_by_their_fields(pages):
    client, base = pages
    response = client.post(f"{base}/new", data={"first_name": "Sara", "last_name": "Lind", "birth_year": "1990",
                                                "offered_on": (TODAY + timedelta(days=3)).isoformat()})
    assert response.status_code == 422 and 'id="offered_on-error"' in response.text and 'value="Sara"' in response.text


def test_choosing_a_registered_person(pages, make_person, vip_tenant):
    client, base = pages
    person = make_person(vip_tenant, first_name="Omar", last_name="Haddad")
    found = client.get(f"{base}/new?find=hadd").text
    assert f"person_id={person.id}" in found
    form = client.get(f"{base}/new?person_id={person.id}")
    assert form.status_code == 200 and "Omar Haddad" in form.text
    assert client.post(f"{base}/new", data={"person_id": str(person.id), "informed_on": TODAY.isoformat()}).status_code == 302
    assert client.get(f"{base}/new?person_id=999999").status_code == 404


def test_editing_a_row(pages, record, db_session, vip_tenant, in_tenant):
    client, base = pages
    done = record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "service": "A"})
    form = client.get(f"{base}/{done.outreach.id}/edit")
    assert form.status_code == 200 and 'value="A"' in form.text
    bad = client.post(f"{base}/{done.outreach.id}/edit", data={"service": "B", "informed_on": TODAY.isoformat(),
                                                               "offered_on": (TODAY - timedelta(days=1)).isoformat()})
    assert bad.status_code == 422 and 'value="B"' in bad.text and 'id="informed_on-error"' in bad.text
    ok = client.post(f"{base}/{done.outreach.id}/edit", data={"service": "B", "offered_on": TODAY.isoformat()})
    assert ok.status_code == 302
    with in_tenant(vip_tenant):
        row = db_session.get(Outreach, done.outreach.id)
        assert (row.service, row.informed_on, row.offered_on) == ("B", TODAY, TODAY)
        assert db_session.scalars(select(AuditEvent).where(AuditEvent.action == "vip.outreach.read")).all()


def test_another_tenants_row_is_not_found(pages, record, make_vip_tenant):
    client, base = pages
    theirs = record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990}, tenant=make_vip_tenant())
    assert client.get(f"{base}/{theirs.outreach.id}/edit").status_code == 404
    assert client.post(f"{base}/{theirs.outreach.id}/edit", data={"service": "X"}).status_code == 404


def test_this_tenants_row_is_found(pages, record):
    client, base = pages
    ours = record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990})
    assert client.get(f"{base}/{ours.outreach.id}/edit").status_code == 200


def test_a_group_leader_sees_no_outreach(client, make_user, vip_tenant):
    login(client, make_user(("vip.leader", vip_tenant)), language="en")
    assert client.get(f"/t/{vip_tenant.slug}/vip/outreach/").status_code == 403
    assert client.get(f"/api/v1/t/{vip_tenant.slug}/vip/outreach").status_code == 403
    assert client.get(f"/api/v1/t/{vip_tenant.slug}/vip/outreach/coverage").status_code == 200


def test_the_pages_need_the_plugin_on(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("coordinator", tenant)), language="en")
    assert client.get(f"/t/{tenant.slug}/vip/outreach/").status_code == 404


# --- API -----------------------------------------------------------------------------------


@pytest.fixture
def api(client, coordinator, vip_tenant):
    login(client, coordinator, language="en")
    return client, f"/api/v1/t/{vip_tenant.slug}/vip/outreach"


def test_api_records_reads_and_changes(api):
    client, base = api
    number = pnr("19811218")
    created = client.post(base, json={"first_name": "Sara", "last_name": "Lind", "national_id": number,
                                      "service": "Gruppbostad", "informed_on": TODAY.isoformat()})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["person"]["first_name"] == "Sara" and body["person"]["birth_date"] == "1981-12-18"
    assert body["status"] == "informed" and "811218" not in str(body) and "national_id" not in body
    again = client.post(base, json={"first_name": "Sara", "last_name": "Lind", "national_id": number,
                                    "offered_on": TODAY.isoformat()})
    assert again.status_code == 200 and again.json["id"] == body["id"] and again.json["status"] == "offered"
    got = client.get(f"{base}/{body['id']}")
    assert got.status_code == 200 and got.json["service"] == "Gruppbostad"
    patched = client.patch(f"{base}/{body['id']}", json={"note": "Vill börja i höst", "service": None})
    assert patched.status_code == 200 and (patched.json["note"], patched.json["service"]) == ("Vill börja i höst", None)


@pytest.mark.parametrize(("body", "field"), [
    ({"first_name": "Sara", "last_name": "Lind"}, "birth_date"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "informed_on": "2999-01-01"}, "informed_on"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "informed_on": "not a date"}, "informed_on"),
    ({"first_name": "Sara", "last_name": "Lind", "national_id": "19811218-9877"}, "national_id"),
    ({"person_id": 2**40}, "person_id"),
    ({"person_id": 99999}, "person_id"),
])
def test_api_invalid_entries_are_422_with_the_field(api, body, field):
    client, base = api
    response = client.post(base, json=body)
    assert response.status_code == 422 and field in response.json["errors"], response.json
    assert "19811218" not in response.text


def test_api_list_filters_and_pages(api, record):
    client, base = api
    record({"first_name": "Anna", "last_name": "A", "birth_year": 1990, "offered_on": TODAY})
    record({"first_name": "Bo", "last_name": "B", "birth_year": 1990})
    every = client.get(base).json
    assert every["total"] == 2 and [i["person"]["first_name"] for i in every["items"]] == ["Anna", "Bo"]
    offered = client.get(f"{base}?status=offered").json
    assert [i["person"]["first_name"] for i in offered["items"]] == ["Anna"]
    assert client.get(f"{base}?status=bogus").status_code == 422
    assert client.get(f"{base}?per_page=1&page=2").json["items"][0]["person"]["first_name"] == "Bo"


def test_api_coverage(api, record):
    client, base = api
    assert client.get(f"{base}/coverage").json == {"offered": 0, "total": 0, "percent": None}
    record({"first_name": "Anna", "last_name": "A", "birth_year": 1990, "offered_on": TODAY})
    record({"first_name": "Bo", "last_name": "B", "birth_year": 1990})
    assert client.get(f"{base}/coverage").json == {"offered": 1, "total": 2, "percent": 50}


def test_api_list_runs_constant_queries(api, record, query_counter):
    client, base = api
    record({"first_name": "First", "last_name": "X", "birth_year": 1990})
    query_counter.assert_constant(client, [base, f"{base}/coverage"], lambda: [
        record({"first_name": f"P{n}", "last_name": "X", "birth_year": 1990}) for n in range(15)])


def test_api_another_tenants_row_is_not_found(api, record, make_vip_tenant):
    client, base = api
    theirs = record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990}, tenant=make_vip_tenant())
    assert client.get(f"{base}/{theirs.outreach.id}").status_code == 404
    assert client.patch(f"{base}/{theirs.outreach.id}", json={"note": "x"}).status_code == 404
    assert client.get(base).json["total"] == 0 and client.get(f"{base}/coverage").json["total"] == 0


def test_api_this_tenants_row_is_found(api, record):
    client, base = api
    ours = record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990})
    assert client.get(f"{base}/{ours.outreach.id}").status_code == 200


def test_an_anonymised_persons_row_counts_but_is_not_listed(record, db_session, vip_tenant, in_tenant, app,
                                                            client, coordinator):
    from core.people import services as people

    kept = record({"first_name": "Sara", "last_name": "Lind", "birth_year": 1990, "offered_on": TODAY})
    record({"first_name": "Bo", "last_name": "Berg", "birth_year": 1990})
    with in_tenant(vip_tenant):
        person = db_session.get(Person, kept.outreach.person_id)
        hooks = app.extensions["samverka"].registry.relay(frozenset({"vip"}))
        people.erase_person(db_session, hooks, person, anonymise=True)
        db_session.commit()
        assert services.coverage(db_session) == (1, 2)
    login(client, coordinator, language="en")
    listing = client.get(f"/api/v1/t/{vip_tenant.slug}/vip/outreach").json
    assert [i["person"]["first_name"] for i in listing["items"]] == ["Bo"]
