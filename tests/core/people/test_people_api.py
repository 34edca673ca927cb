"""People through the REST API: validation, isolation, masking, pagination, constant queries."""

import pytest

from core.testing.app import login

PNR = "19811218-9876"


@pytest.fixture
def staff(client, make_tenant, make_user):
    tenant = make_tenant(country="SE")
    login(client, make_user(("staff", tenant)))
    return client, tenant, f"/api/v1/t/{tenant.slug}/people"


def test_create_and_read_a_person_never_returns_the_national_id(staff):
    client, _tenant, base = staff
    created = client.post(base, json={"first_name": "Sara", "last_name": "Lind", "national_id": PNR})
    assert created.status_code == 201
    body = client.get(f"{base}/{created.json['id']}").json
    assert body["national_id_masked"] == "********-9876" and "national_id" not in body
    assert "811218" not in str(body)  # neither the birth-date part nor the whole number


@pytest.mark.parametrize(("body", "field"), [
    ({"last_name": "Lind"}, "first_name"),
    ({"first_name": "Sara", "last_name": "Lind", "national_id": "19811218-9877"}, "national_id"),
    ({"first_name": "Sara", "last_name": "Lind", "email": "not-an-email"}, "email"),
    ({"first_name": "Sara", "last_name": "Lind", "birth_date": "2999-01-01"}, "birth_date"),
    ({"first_name": "Sara", "last_name": "Lind", "phone": "call me"}, "phone"),
    ({"first_name": "Sara", "last_name": "Lind", "national_id_country": "NO", "national_id": "1"}, "national_id_country"),
])
def test_invalid_people_are_422_with_the_field(staff, body, field):
    client, _tenant, base = staff
    response = client.post(base, json=body)
    assert response.status_code == 422 and field in response.json["errors"]


def test_a_person_of_tenant_a_is_readable_in_a(staff, make_person):
    client, tenant, base = staff
    person = make_person(tenant)
    assert client.get(f"{base}/{person.id}").status_code == 200


def test_a_person_of_tenant_b_is_not_found_through_a(staff, make_tenant, make_person):
    client, _tenant, base = staff
    other = make_person(make_tenant())
    assert client.get(f"{base}/{other.id}").status_code == 404
    assert client.patch(f"{base}/{other.id}", json={"first_name": "X"}).status_code == 404
    assert client.get(f"{base}/{other.id}/consents").status_code == 404


def test_a_person_of_tenant_b_is_not_found_through_b_either(staff, make_tenant, make_person):
    client, _tenant, _base = staff
    other_tenant = make_tenant()
    other = make_person(other_tenant)
    assert client.get(f"/api/v1/t/{other_tenant.slug}/people/{other.id}").status_code == 404


def test_protected_identity_is_withheld_from_staff_and_shown_to_the_officer(client, make_tenant, make_user, make_person):
    tenant = make_tenant()
    person = make_person(tenant, protected_identity=True, address="Hemlig väg 1")
    login(client, make_user(("staff", tenant)))
    assert client.get(f"/api/v1/t/{tenant.slug}/people/{person.id}").json["address"] is None
    login(client, make_user(("protected_identity_officer", tenant)))
    assert client.get(f"/api/v1/t/{tenant.slug}/people/{person.id}").json["address"] == "Hemlig väg 1"


def test_patch_changes_only_given_fields(staff, make_person):
    client, tenant, base = staff
    person = make_person(tenant, email="a@example.org")
    body = client.patch(f"{base}/{person.id}", json={"phone": "+46 70 123"}).json
    assert (body["email"], body["phone"]) == ("a@example.org", "+46 70 123")


def test_duplicates_endpoint(staff, make_person):
    client, tenant, base = staff
    person = make_person(tenant, first_name="Sara", last_name="Lind", national_id=PNR)
    found = client.post(f"{base}/duplicates", json={"national_id": "8112189876"}).json
    assert [d["person"]["id"] for d in found] == [person.id]


def test_consents_through_the_api(staff, make_person):
    client, tenant, base = staff
    person = make_person(tenant)
    created = client.post(f"{base}/{person.id}/consents",
                          json={"purpose": "Group course", "given_by": "guardian", "given_on": "2026-01-02"})
    assert created.status_code == 201 and created.json["active"]
    withdrawn = client.put(f"{base}/{person.id}/consents/{created.json['id']}/withdrawal", json={"withdrawn_on": "2026-02-01"})
    assert withdrawn.json["active"] is False
    bad = client.put(f"{base}/{person.id}/consents/{created.json['id']}/withdrawal", json={"withdrawn_on": "2020-01-01"})
    assert bad.status_code == 422 and "withdrawn_on" in bad.json["errors"]


def test_list_is_paginated(staff, make_person):
    client, tenant, base = staff
    for _ in range(3):
        make_person(tenant)
    body = client.get(f"{base}?per_page=2&page=2").json
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (3, 2, 2, 1)
    assert client.get(f"{base}?per_page=501").status_code == 422


def test_list_runs_constant_queries(staff, make_person, query_counter):
    client, tenant, base = staff
    make_person(tenant)
    query_counter.assert_constant(client, [base], lambda: [make_person(tenant) for _ in range(30)])


def test_list_counts_only_this_tenants_people(staff, make_tenant, make_person):
    client, tenant, base = staff
    make_person(tenant)
    other = make_tenant()
    for _ in range(3):
        make_person(other)
    body = client.get(base).json
    assert (body["total"], len(body["items"])) == (1, 1)
