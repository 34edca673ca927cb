"""Text hygiene: control characters and bidirectional overrides refused, NFC stored, formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from core import csvfile
from core.audit import services as audit
from core.db import tenant_scope
from core.people.models import Person
from core.validation import FreeText, Name, TextError, clean_text
from core.testing.app import login

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Anna\u202eeD" reads as "AnnaDe"


@pytest.mark.parametrize("value", ["Anna" + RLO + "greB", "An\u2066na", "Anna\u200f", "An\u061cna", "An\x07na",
                                   "Anna\tBerg", "Anna\nBerg", "An\x85na", "An\x1bna"])
def test_a_short_text_refuses_controls_and_direction_marks(value):
    with pytest.raises(TextError):
        clean_text(value)


def test_free_text_keeps_line_breaks_as_newlines_only():
    assert clean_text("one\r\ntwo\rthree\nfour", multiline=True) == "one\ntwo\nthree\nfour"
    for value in ("tab\there", "bell\x07", "over" + RLO + "ride"):
        with pytest.raises(TextError):
            clean_text(value, multiline=True)


def test_text_is_normalised_to_nfc():
    assert clean_text("A\u030angstr\u00f6m") == "\u00c5ngstr\u00f6m"
    assert Name().deserialize("A\u030asa") == "\u00c5sa" and FreeText().deserialize("a\r\nb") == "a\nb"


@pytest.fixture
def staff(client, make_tenant, make_user):
    tenant = make_tenant(country="SE")
    login(client, make_user(("staff", tenant)))
    return client, tenant


@pytest.mark.parametrize("name", ["Sara" + RLO + "dniL", "Sa\x07ra"])
def test_the_api_refuses_a_name_with_a_control_or_an_override(staff, name):
    client, tenant = staff
    response = client.post(f"/api/v1/t/{tenant.slug}/people", json={"first_name": name, "last_name": "Lind"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert "first_name" in response.json["errors"] and "control" in response.json["errors"]["first_name"][0]


@pytest.mark.parametrize("name", ["Sara" + RLO + "dniL", "Sa\x07ra"])
def test_a_page_refuses_it_and_keeps_what_was_typed(staff, name):
    client, tenant = staff
    response = client.post(f"/t/{tenant.slug}/people/new", data={"first_name": "Sara", "last_name": name})
    assert response.status_code == 422
    assert 'id="last_name-error"' in response.text and 'value="Sara"' in response.text


def test_names_are_stored_in_nfc_and_free_text_keeps_its_newlines(staff, db_session):
    client, tenant = staff
    response = client.post(f"/api/v1/t/{tenant.slug}/people",
                           json={"first_name": "A\u030asa", "last_name": "Lind", "address": "Storgatan 1\r\n123 45 Ort"})
    assert response.status_code == 201 and response.json["first_name"] == "\u00c5sa"
    with tenant_scope(tenant.id):
        person = db_session.scalar(select(Person).where(Person.id == response.json["id"]))
        assert person.first_name == "\u00c5sa" and person.address == "Storgatan 1\n123 45 Ort"


def test_a_session_note_keeps_newlines_but_its_title_refuses_them(staff, make_user):
    client, tenant = staff
    leader = make_user(("staff", tenant))
    base = f"/api/v1/t/{tenant.slug}/sessions"
    body = {"title": "Meeting", "starts_at": "2030-01-01T10:00:00+00:00", "ends_at": "2030-01-01T11:00:00+00:00",
            "leader_ids": [leader.id], "note": "Bring\nthe keys"}
    created = client.post(base, json=body)
    assert created.status_code == 201 and created.json["note"] == "Bring\nthe keys"
    refused = client.post(base, json={**body, "title": "Meet\ning"})
    assert refused.status_code == 422 and "title" in refused.json["errors"]


def test_an_invitation_refuses_a_name_with_an_override(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))
    response = client.post(f"/t/{tenant.slug}/admin/users/invite",
                           data={"email": "new@example.org", "name": "Eva" + RLO + "kraM", "role": "staff"})
    assert response.status_code == 422 and "new@example.org" in response.text


def test_a_calendar_feed_label_with_a_control_is_refused_on_the_page(staff):
    client, tenant = staff
    response = client.post(f"/t/{tenant.slug}/admin/calendar-feeds", data={"label": "Feed\x1b[31m"})
    assert response.status_code == 422 and 'id="label-error"' in response.text


@pytest.mark.parametrize(("cell", "written"), [("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
                                               ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
                                               ("\tx", "'\tx"), ("\rx", "'\rx"), ("Anna", "Anna"), (5, "5")])
def test_csv_cells_that_would_run_as_formulas_are_neutralised(cell, written):
    out = io.StringIO()
    csvfile.writer(out).writerow([cell])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [written]


def test_the_audit_export_neutralises_a_formula(client, make_tenant, make_user, db_session):
    tenant = make_tenant()
    login(client, make_user(("auditor", tenant)))
    with tenant_scope(tenant.id):
        audit.record(db_session, "person.create", object_type="=cmd|' /C calc'!A0", object_id=1)
        db_session.flush()
    response = client.get(f"/t/{tenant.slug}/audit/export.csv?action=person.create")
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["object_type"] == "'=cmd|' /C calc'!A0"
