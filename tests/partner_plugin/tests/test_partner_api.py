"""The partner API: notes listed a page at a time, written about the tenant's own people only,
and a retried write answered once."""

from __future__ import annotations

from core.testing import login


def test_a_note_written_through_the_api_is_on_the_page(client, make_tenant, make_user, make_person):
    tenant = make_tenant(plugins={"partner": {}})
    person = make_person(tenant, first_name="Alma")
    login(client, make_user(("partner.staff", tenant)), language="en")
    answer = client.post(f"/api/v1/t/{tenant.slug}/partner/notes",
                         json={"person_id": person.id, "text": "Met at the library."})
    assert answer.status_code == 201
    assert answer.json["person_id"] == person.id and answer.json["text"] == "Met at the library."
    assert "Met at the library." in client.get(f"/t/{tenant.slug}/partner/").text


def test_the_notes_come_a_page_at_a_time_newest_first(partner_staff, partner_tenant, add_notes, make_tenant):
    add_notes(partner_tenant, "First", "Second", "Third")
    add_notes(make_tenant(plugins={"partner": {}}), "Another tenant's")
    url = f"/api/v1/t/{partner_tenant.slug}/partner/notes"
    first = partner_staff.get(f"{url}?per_page=2")
    assert first.status_code == 200
    assert {k: first.json[k] for k in ("page", "per_page", "total")} == {"page": 1, "per_page": 2, "total": 3}
    assert [note["text"] for note in first.json["items"]] == ["Third", "Second"]
    second = partner_staff.get(f"{url}?per_page=2&page=2")
    assert [note["text"] for note in second.json["items"]] == ["First"]


def test_a_note_about_another_tenants_person_is_a_422_on_person_id(partner_staff, partner_tenant, make_tenant,
                                                                    make_person):
    stranger = make_person(make_tenant(plugins={"partner": {}}), first_name="Stina")
    url = f"/api/v1/t/{partner_tenant.slug}/partner/notes"
    answer = partner_staff.post(url, json={"person_id": stranger.id, "text": "Not ours."})
    assert answer.status_code == 422 and "person_id" in answer.json["errors"]
    assert partner_staff.get(url).json["total"] == 0


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer(partner_staff, partner_tenant, make_person):
    person = make_person(partner_tenant)
    url = f"/api/v1/t/{partner_tenant.slug}/partner/notes"
    body, headers = {"person_id": person.id, "text": "Sent twice."}, {"Idempotency-Key": "note-1"}
    first = partner_staff.post(url, json=body, headers=headers)
    retry = partner_staff.post(url, json=body, headers=headers)
    assert first.status_code == retry.status_code == 201 and retry.json == first.json
    assert partner_staff.get(url).json["total"] == 1


def test_reading_and_writing_need_the_partner_permissions(client, partner_tenant, make_user, make_person):
    login(client, make_user(("staff", partner_tenant)), language="en")
    url = f"/api/v1/t/{partner_tenant.slug}/partner/notes"
    assert client.get(url).status_code == 403
    person = make_person(partner_tenant)
    assert client.post(url, json={"person_id": person.id, "text": "No."}).status_code == 403
