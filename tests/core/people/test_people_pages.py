"""People pages: list and search, add with duplicate check, edit, consents; constant queries."""

import re

import pytest

from core.testing.app import login


@pytest.fixture
def staff(client, make_tenant, make_user):
    tenant = make_tenant(country="SE")
    login(client, make_user(("staff", tenant)))
    return client, tenant, f"/t/{tenant.slug}/people"


def test_list_and_search(staff, make_person):
    client, tenant, base = staff
    make_person(tenant, first_name="Sara", last_name="Lind")
    make_person(tenant, first_name="Omar", last_name="Haddad")
    page = client.get(f"{base}/?q=lin").text
    assert "Lind, Sara" in page and "Haddad" not in page


def test_list_page_runs_constant_queries(staff, make_person, query_counter):
    client, tenant, base = staff
    make_person(tenant)
    query_counter.assert_constant(client, [f"{base}/"], lambda: [make_person(tenant) for _ in range(30)])


def test_adding_a_person(staff):
    client, _tenant, base = staff
    response = client.post(f"{base}/new", data={"first_name": "Sara", "last_name": "Lind", "national_id": "811218-9876"})
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).text
    assert "Sara Lind" in detail and "********-9876" in detail and "8112189876" not in detail


def test_a_failed_form_keeps_what_was_typed_except_the_national_id(staff):
    client, _tenant, base = staff
    response = client.post(f"{base}/new", data={"first_name": "Sara", "last_name": "", "email": "bad",
                                                "national_id": "811218-9877", "interpreter_needed": "1"})
    assert response.status_code == 422
    page = re.sub(r"\s+", " ", response.text)
    assert 'value="Sara"' in page and 'value="bad"' in page and 'id="interpreter_needed" name="interpreter_needed" value="1" checked' in page
    assert 'id="last_name-error"' in page and 'id="email-error"' in page
    assert "811218" not in page  # a national ID is never echoed back into a page


def test_a_possible_duplicate_is_shown_and_saved_only_when_confirmed(staff, make_person):
    client, tenant, base = staff
    existing = make_person(tenant, first_name="Sara", last_name="Lind")
    shown = client.post(f"{base}/new", data={"first_name": "Sara", "last_name": "Lind"})
    assert shown.status_code == 409 and f"/people/{existing.id}" in shown.text and 'value="Sara"' in shown.text
    saved = client.post(f"{base}/new", data={"first_name": "Sara", "last_name": "Lind", "confirm_not_duplicate": "1"})
    assert saved.status_code == 302


def test_editing_keeps_the_national_id_when_left_blank(staff, make_person):
    client, tenant, base = staff
    person = make_person(tenant, national_id="811218-9876")
    assert client.post(f"{base}/{person.id}/edit", data={"first_name": "Sara", "last_name": "Berg"}).status_code == 302
    assert "********-9876" in client.get(f"{base}/{person.id}").text


def test_consents_on_the_detail_page(staff, make_person):
    client, tenant, base = staff
    person = make_person(tenant)
    bad = client.post(f"{base}/{person.id}/consents", data={"purpose": "", "given_by": "self", "given_on": "2026-01-01"})
    assert bad.status_code == 422 and 'id="purpose-error"' in bad.text
    ok = client.post(f"{base}/{person.id}/consents", data={"purpose": "Group course", "given_by": "guardian", "given_on": "2026-01-01"})
    assert ok.status_code == 302
    page = client.get(f"{base}/{person.id}").text
    consent_id = re.search(r"/consents/(\d+)/withdraw", page).group(1)
    client.post(f"{base}/{person.id}/consents/{consent_id}/withdraw")
    assert "/withdraw" not in client.get(f"{base}/{person.id}").text


def test_another_tenants_person_is_not_found(staff, make_tenant, make_person):
    client, _tenant, base = staff
    other = make_person(make_tenant())
    assert client.get(f"{base}/{other.id}").status_code == 404
    assert client.get(f"{base}/{other.id}/edit").status_code == 404


def test_a_coordinator_sees_no_people(client, make_tenant, make_user, make_person):
    tenant = make_tenant()
    make_person(tenant)
    login(client, make_user(("coordinator", tenant)))
    assert client.get(f"/t/{tenant.slug}/people/").status_code == 403


@pytest.mark.parametrize("path", ["people/", "sessions/", "admin/api-clients/"])
def test_a_page_number_past_any_list_is_an_empty_page_not_a_500(client, make_tenant, make_user, path):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant), ("staff", tenant)))
    assert client.get(f"/t/{tenant.slug}/{path}?page=99999999999999999999999").status_code == 200


@pytest.mark.parametrize(("language", "words"), [
    ("sv", "Kontrollsiffran i det svenska personnumret är fel."),
    ("da", "Kontrolcifferet i det svenske personnummer er forkert."),
    ("fi", "Ruotsalaisen henkilötunnuksen tarkistusnumero on väärin."),
])
def test_a_wrong_national_id_is_explained_in_the_readers_language(client, make_tenant, make_user, language, words):
    tenant = make_tenant(country="SE", languages=("sv", "da", "fi", "en"))
    login(client, make_user(("staff", tenant)), language=language)
    response = client.post(f"/t/{tenant.slug}/people/new",
                           data={"first_name": "Sara", "last_name": "Lind", "national_id": "811218-9877"})
    assert response.status_code == 422 and words in response.text
    assert "check digit" not in response.text
