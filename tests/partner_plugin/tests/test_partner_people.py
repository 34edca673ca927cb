"""What the partner programme tells core about people: its metric, a person's export and erasure."""

from __future__ import annotations

from core.stats.services import compute
from core.testing import login

METRIC = "partner.people_with_notes"


def test_the_metric_counts_people_with_notes_once_each_per_tenant(app, db_session, make_tenant, make_person,
                                                                  add_notes):
    a, b, c, quiet = (make_tenant(plugins={"partner": {}}) for _ in range(4))
    ada = make_person(a, first_name="Ada")
    add_notes(a, "One", "Two", person=ada)
    add_notes(a, "Three")
    add_notes(b, "Four")
    add_notes(c, "Outside the question")
    metric = app.extensions["samverka"].metrics[METRIC]
    assert metric.kind == "count"
    assert compute(db_session, metric, [a.id, b.id, quiet.id]) == {a.id: 2, b.id: 1, quiet.id: 0}


def test_the_statistics_page_shows_the_metric(client, partner_tenant, make_user, add_notes):
    add_notes(partner_tenant, "Counted")
    login(client, make_user(("tenant_admin", partner_tenant)), language="en")
    page = client.get(f"/t/{partner_tenant.slug}/stats/")
    assert page.status_code == 200 and "People with partner notes" in page.text


def test_a_persons_export_holds_their_notes_and_no_one_elses(client, partner_tenant, make_user, make_person,
                                                             add_notes):
    alma = make_person(partner_tenant, first_name="Alma")
    add_notes(partner_tenant, "Met at the library.", "Called back.", person=alma)
    add_notes(partner_tenant, "About someone else.")
    login(client, make_user(("tenant_admin", partner_tenant)), language="en")
    export = client.get(f"/api/v1/t/{partner_tenant.slug}/people/{alma.id}/export")
    assert export.status_code == 200
    notes = export.json["plugins"]["partner"]["notes"]
    assert sorted(note["text"] for note in notes) == ["Called back.", "Met at the library."]
    assert all(note["written_at"] for note in notes)

    quiet = make_person(partner_tenant, first_name="Quiet")
    assert "partner" not in client.get(f"/api/v1/t/{partner_tenant.slug}/people/{quiet.id}/export").json["plugins"]


def test_erasing_a_person_deletes_their_notes_and_keeps_the_others(client, partner_tenant, make_user, make_person,
                                                                   add_notes):
    alma = make_person(partner_tenant, first_name="Alma")
    add_notes(partner_tenant, "Met at the library.", "Called back.", person=alma)
    add_notes(partner_tenant, "About someone else.")
    login(client, make_user(("tenant_admin", partner_tenant), ("partner.staff", partner_tenant)), language="en")
    erased = client.post(f"/api/v1/t/{partner_tenant.slug}/people/{alma.id}/erasure", json={})
    assert erased.status_code == 200
    assert erased.json["reports"]["partner"]["erased"] == {"partner_note": 2}
    left = client.get(f"/api/v1/t/{partner_tenant.slug}/partner/notes").json
    assert [note["text"] for note in left["items"]] == ["About someone else."]


def test_anonymising_a_person_deletes_their_notes_too(client, partner_tenant, make_user, make_person, add_notes):
    """A note is free text that may name the person: it goes on anonymisation as on erasure."""
    bo = make_person(partner_tenant, first_name="Bo")
    add_notes(partner_tenant, "Bo said he moved to Ekvägen 3.", person=bo)
    login(client, make_user(("tenant_admin", partner_tenant), ("partner.staff", partner_tenant)), language="en")
    answer = client.post(f"/api/v1/t/{partner_tenant.slug}/people/{bo.id}/erasure", json={"anonymise": True})
    assert answer.status_code == 200 and answer.json["reports"]["partner"]["erased"] == {"partner_note": 1}
    assert client.get(f"/api/v1/t/{partner_tenant.slug}/partner/notes").json["total"] == 0
