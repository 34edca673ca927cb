"""VIP leader training through the REST API: courses, trainees, completion, staff status."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from plugins.vip.models import TrainedLeader
from plugins.vip.services import register
from core.testing.app import login

TODAY = date.today()
START = TODAY - timedelta(days=20)


@pytest.fixture
def eskilstuna(make_vip_tenant):
    return make_vip_tenant(trains_leaders=True)


@pytest.fixture
def api(client, make_user, eskilstuna):
    login(client, make_user(("vip.trainer", eskilstuna)))
    return client, f"/api/v1/t/{eskilstuna.slug}/vip/training/courses"


@pytest.fixture
def course_id(api):
    client, base = api
    response = client.post(base, json={"name": "Vårkurs", "starts_on": START.isoformat(),
                                       "ends_on": (START + timedelta(days=2)).isoformat(), "location": "Eskilstuna"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def in_register(db_session, email):
    return db_session.scalar(select(TrainedLeader.trained_on)
                             .where(TrainedLeader.email_digest == register.email_digest(email)))


def test_courses_are_created_listed_read_and_changed(api, course_id):
    client, base = api
    listed = client.get(base).json
    assert listed["total"] == 1 and listed["items"][0]["trainees_count"] == 0
    got = client.get(f"{base}/{course_id}").json
    assert (got["name"], got["location"], got["trainees"]) == ("Vårkurs", "Eskilstuna", [])
    patched = client.patch(f"{base}/{course_id}", json={"location": None, "name": "Vårkurs 2"})
    assert patched.status_code == 200 and (patched.json["name"], patched.json["location"]) == ("Vårkurs 2", None)


@pytest.mark.parametrize(("body", "field"), [
    ({"starts_on": "2025-01-01", "ends_on": "2025-01-02"}, "name"),
    ({"name": "X", "starts_on": "2025-01-03", "ends_on": "2025-01-02"}, "ends_on"),
    ({"name": "X", "starts_on": "not a date", "ends_on": "2025-01-02"}, "starts_on"),
    ({"name": "   ", "starts_on": "2025-01-01", "ends_on": "2025-01-02"}, "name"),
])
def test_invalid_courses_are_422(api, body, field):
    client, base = api
    response = client.post(base, json=body)
    assert response.status_code == 422 and field in response.json["errors"], response.json


def test_patch_refuses_an_end_before_the_start(api, course_id):
    client, base = api
    response = client.patch(f"{base}/{course_id}", json={"ends_on": (START - timedelta(days=1)).isoformat()})
    assert response.status_code == 422 and "ends_on" in response.json["errors"]


def test_trainees_and_completion(api, course_id, db_session):
    client, base = api
    added = client.post(f"{base}/{course_id}/trainees",
                        json={"name": "Kim Andersson", "email": "Kim@Huddinge.se", "organisation": "Huddinge kommun"})
    assert added.status_code == 201 and added.json["email"] == "kim@huddinge.se"
    trainee = added.json["id"]
    again = client.post(f"{base}/{course_id}/trainees",
                        json={"name": "Kim", "email": "KIM@huddinge.se", "organisation": "Huddinge kommun"})
    assert again.status_code == 422 and "email" in again.json["errors"]
    url = f"{base}/{course_id}/trainees/{trainee}/completion"
    done = client.put(url, json={"completed_on": (START + timedelta(days=2)).isoformat()})
    assert done.status_code == 200 and done.json["completed_on"] == (START + timedelta(days=2)).isoformat()
    assert in_register(db_session, "kim@huddinge.se") == START + timedelta(days=2)
    course = client.get(f"{base}/{course_id}").json
    assert course["trainees"][0]["completed_on"] and course["completed_count"] == 1
    undone = client.put(url, json={"completed_on": None})
    assert undone.status_code == 200 and undone.json["completed_on"] is None
    assert in_register(db_session, "kim@huddinge.se") is None


@pytest.mark.parametrize(("body", "field"), [
    ({"completed_on": (TODAY + timedelta(days=1)).isoformat()}, "completed_on"),
    ({"completed_on": (START - timedelta(days=1)).isoformat()}, "completed_on"),
    ({"completed_on": "yesterday"}, "completed_on"),
    ({}, "completed_on"),
])
def test_invalid_completions_are_422_and_enter_nothing(api, course_id, db_session, body, field):
    client, base = api
    trainee = client.post(f"{base}/{course_id}/trainees",
                          json={"name": "Kim", "email": "kim@huddinge.se", "organisation": "Huddinge"}).json["id"]
    response = client.put(f"{base}/{course_id}/trainees/{trainee}/completion", json=body)
    assert response.status_code == 422 and field in response.json["errors"]
    assert in_register(db_session, "kim@huddinge.se") is None


@pytest.mark.parametrize("body", [
    {"name": "", "email": "a@b.se", "organisation": "X"},
    {"name": "A", "email": "nope", "organisation": "X"},
    {"name": "A", "email": "a@b.se"},
])
def test_invalid_trainees_are_422(api, course_id, body):
    client, base = api
    assert client.post(f"{base}/{course_id}/trainees", json=body).status_code == 422


def test_unknown_courses_and_trainees_are_404(api, course_id):
    client, base = api
    assert client.get(f"{base}/999999").status_code == 404
    assert client.put(f"{base}/{course_id}/trainees/999999/completion", json={"completed_on": None}).status_code == 404


def test_a_tenant_that_trains_no_leaders_answers_404(client, make_user, vip_tenant):
    login(client, make_user(("vip.trainer", vip_tenant)))
    base = f"/api/v1/t/{vip_tenant.slug}/vip/training/courses"
    assert client.get(base).status_code == 404
    assert client.post(base, json={"name": "X", "starts_on": "2025-01-01", "ends_on": "2025-01-01"}).status_code == 404
    assert client.get(f"{base}/1").status_code == 404


def test_another_tenants_course_is_not_found(client, make_user, make_vip_tenant, api, course_id):
    other = make_vip_tenant(trains_leaders=True)
    login(client, make_user(("vip.trainer", other)))
    base = f"/api/v1/t/{other.slug}/vip/training/courses"
    assert client.get(f"{base}/{course_id}").status_code == 404
    assert client.post(f"{base}/{course_id}/trainees",
                       json={"name": "A", "email": "a@b.se", "organisation": "X"}).status_code == 404
    assert client.get(base).json["total"] == 0


def test_this_tenants_course_is_found(api, course_id):
    client, base = api
    assert client.get(f"{base}/{course_id}").status_code == 200


def test_a_coordinator_cannot_run_courses(client, make_user, eskilstuna):
    login(client, make_user(("vip.coordinator", eskilstuna)))
    assert client.get(f"/api/v1/t/{eskilstuna.slug}/vip/training/courses").status_code == 403
    assert client.get(f"/api/v1/t/{eskilstuna.slug}/vip/staff/training").status_code == 200


def test_course_list_runs_constant_queries(api, course_id, query_counter):
    client, base = api

    def grow():
        for n in range(5):
            new = client.post(base, json={"name": f"K{n}", "starts_on": START.isoformat(), "ends_on": START.isoformat()})
            client.post(f"{base}/{new.json['id']}/trainees", json={"name": "T", "email": f"t{n}@x.se", "organisation": "X"})

    query_counter.assert_constant(client, [base, f"{base}/{course_id}"], grow)


def test_staff_training_lists_own_staff_with_register_dates(client, make_user, make_vip_tenant, db_session):
    tenant, elsewhere = make_vip_tenant(), make_vip_tenant()
    trained = make_user(("vip.leader", tenant), name="Alva Trained")
    untrained = make_user(("vip.coordinator", tenant), name="Bert Untrained")
    outsider = make_user(("vip.leader", elsewhere), name="Cilla Elsewhere")
    for user in (trained, outsider):
        register.enter(db_session, email=user.email, trained_on=date(2024, 3, 1))
    db_session.commit()
    login(client, untrained)
    body = client.get(f"/api/v1/t/{tenant.slug}/vip/staff/training").json
    assert [(i["name"], i["trained"], i["trained_on"], i["roles"]) for i in body["items"]] == [
        ("Alva Trained", True, "2024-03-01", ["vip.leader"]), ("Bert Untrained", False, None, ["vip.coordinator"])]
    assert body["total"] == 2 and "Cilla" not in str(body)
