"""The same row written twice at the same moment: the service turns the unique violation into
core's Conflict, so the API answers 409 and the page shows the form again, with no handler
catching ``IntegrityError`` (#8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.db import db
from plugins.vip.services import training
from core.testing.app import login

START = date.today() - timedelta(days=20)
TRAINEE = {"name": "Kim Andersson", "email": "kim@example.org", "organisation": "Huddinge"}


@pytest.fixture
def course(client, make_user, make_vip_tenant):
    tenant = make_vip_tenant(trains_leaders=True)
    login(client, make_user(("vip.trainer", tenant)), language="en")
    base = f"/api/v1/t/{tenant.slug}/vip/training/courses"
    created = client.post(base, json={"name": "Vårkurs", "starts_on": START.isoformat(),
                                      "ends_on": (START + timedelta(days=2)).isoformat()})
    assert created.status_code == 201, created.json
    assert client.post(f"{base}/{created.json['id']}/trainees", json=TRAINEE).status_code == 201
    return client, tenant, created.json["id"]


@pytest.fixture
def unseen(monkeypatch):
    """The other request's trainee is not yet visible to the service's own check (as in a race)."""
    real = db.session.scalar

    def scalar(statement, *args, **kwargs):
        if "vip_trainee.email" in str(statement):
            return None
        return real(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", scalar)


def test_the_same_trainee_at_the_same_moment_is_a_409_in_the_api(course, unseen):
    client, tenant, course_id = course
    again = client.post(f"/api/v1/t/{tenant.slug}/vip/training/courses/{course_id}/trainees", json=TRAINEE)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert again.json["detail"] == "Someone with this email is already on the course."


def test_the_same_trainee_at_the_same_moment_shows_the_form_again_on_the_page(course, unseen):
    client, tenant, course_id = course
    page = client.post(f"/t/{tenant.slug}/vip/training/courses/{course_id}/trainees", data=TRAINEE)
    assert page.status_code == 409
    assert 'value="Kim Andersson"' in page.text
    assert "Someone with this email is already on the course." in page.text


def test_the_conflict_is_a_field_error_at_the_email_too():
    conflict = training.TraineeConflict("taken")
    assert str(conflict) == "taken" and conflict.errors == {"email": ["taken"]}
