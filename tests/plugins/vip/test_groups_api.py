"""VIP groups and meetings through the REST API: validation, conflicts, isolation, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import tenant_scope
from core.sessions.services import create_session
from tests.plugins.vip.test_groups import FIRST, form, generate, join_meetings, login_en, place, reload, trained

FIRST_TEXT = "2031-05-06T13:00:00+02:00"  # = FIRST


@pytest.fixture
def api(client, coordinator, vip_tenant, trained_leaders):
    login_en(client, coordinator)
    return client, vip_tenant, f"/api/v1/t/{vip_tenant.slug}/vip", [u.id for u in trained_leaders]


def _new_group(client, base, leaders, **body):
    return client.post(f"{base}/groups", json={"name": "Women, spring", "audience": "women", "location": "Room A",
                                               "leader_ids": leaders, **body})


def test_forming_and_reading_a_group(api):
    client, _tenant, base, leader_ids = api
    created = _new_group(client, base, leader_ids)
    assert created.status_code == 201
    body = created.json
    assert (body["name"], body["audience"], body["capacity"], body["status"], body["places_taken"],
            body["places_offered"]) == ("Women, spring", "women", 6, "planned", 0, 0)
    assert sorted(l["user_id"] for l in body["leaders"]) == sorted(leader_ids)
    assert {l["trained_on"] for l in body["leaders"]} == {"2024-03-01"}
    assert client.get(f"{base}/groups/{body['id']}").json == body
    listed = client.get(f"{base}/groups").json
    assert listed["total"] == 1 and listed["items"][0]["id"] == body["id"]


@pytest.mark.parametrize(("body", "field"), [
    ({"leader_ids": "first"}, "leader_ids"),
    ({"name": ""}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"audience": "mixed"}, "audience"),
    ({"location": "x" * 301}, "location"),
    ({"leader_ids": [0]}, "leader_ids"),
])
def test_bad_groups_are_422_with_the_field(api, body, field):
    client, _tenant, base, leader_ids = api
    response = _new_group(client, base, leader_ids, **body)
    assert response.status_code == 422 and field in response.json["errors"]
    assert response.mimetype == "application/problem+json"


def test_leaders_must_be_the_right_number_and_trained(api, db_session, make_user):
    client, tenant, base, leader_ids = api
    untrained = make_user(("vip.leader", tenant), name="Ulla Untrained").id
    assert _new_group(client, base, leader_ids[:1]).json["errors"]["leader_ids"] == ["Choose exactly 2 leaders."]
    response = _new_group(client, base, [leader_ids[0], untrained])
    assert response.status_code == 422
    assert response.json["errors"]["leader_ids"] == ["Ulla Untrained is not a trained VIP group leader."]


def test_a_trained_leader_of_another_tenant_is_refused(api, db_session, make_user, make_vip_tenant):
    client, _tenant, base, leader_ids = api
    stranger = trained(db_session, make_user, make_vip_tenant(), "Olga Elsewhere")
    response = _new_group(client, base, [leader_ids[0], stranger.id])
    assert response.status_code == 422 and "not staff of this organisation" in response.json["errors"]["leader_ids"][0]


def test_generating_meetings_and_refusing_a_second_time(api):
    client, _tenant, base, leader_ids = api
    group_id = _new_group(client, base, leader_ids).json["id"]
    created = client.post(f"{base}/groups/{group_id}/meetings", json={"first_start": FIRST_TEXT})
    assert created.status_code == 201
    meetings = created.json
    assert [m["number"] for m in meetings] == list(range(1, 13))
    assert meetings[0]["theme"] == "Emotions" and meetings[0]["theme_label"] == "Emotions"
    assert meetings[0]["starts_at"].startswith("2031-05-06T11:00:00") and meetings[0]["location"] == "Room A"
    assert meetings[2]["title"] == "Women, spring: meeting 3 – Relationships"
    assert client.get(f"{base}/groups/{group_id}/meetings").json == meetings
    assert client.get(f"{base}/meetings/{meetings[4]['id']}").json == meetings[4]
    again = client.post(f"{base}/groups/{group_id}/meetings", json={"first_start": FIRST_TEXT})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert again.json["detail"] == "This group already has its meetings."
    assert client.get(f"{base}/groups/{group_id}").json["next_meeting_at"].startswith("2031-05-06T11:00:00")


@pytest.mark.parametrize(("body", "field"), [
    ({}, "first_start"),
    ({"first_start": "2031-05-06T13:00:00"}, "first_start"),  # no offset: whose 13:00?
    ({"first_start": "next tuesday"}, "first_start"),
    ({"first_start": FIRST_TEXT, "every_days": 0}, "every_days"),
    ({"first_start": FIRST_TEXT, "every_days": 29}, "every_days"),
    ({"first_start": FIRST_TEXT, "location": ""}, "location"),
    ({"first_start": FIRST_TEXT, "skip_dates": ["2031-02-30"]}, "skip_dates"),
])
def test_bad_meeting_plans_are_422(api, body, field):
    client, _tenant, base, leader_ids = api
    group_id = _new_group(client, base, leader_ids).json["id"]
    response = client.post(f"{base}/groups/{group_id}/meetings", json=body)
    assert response.status_code == 422 and field in response.json["errors"]
    assert client.get(f"{base}/groups/{group_id}/meetings").json == []


def test_double_booking_a_leader_or_a_room_is_409_with_a_clear_message(api, db_session, make_user):
    client, tenant, base, leader_ids = api
    first = _new_group(client, base, leader_ids).json["id"]
    assert client.post(f"{base}/groups/{first}/meetings", json={"first_start": FIRST_TEXT}).status_code == 201
    second = _new_group(client, base, leader_ids, name="Men", audience="men", location="Room B").json["id"]
    response = client.post(f"{base}/groups/{second}/meetings",
                           json={"first_start": "2031-07-22T14:00:00+02:00", "location": " room a"})
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    detail = response.json["detail"]
    assert "Meeting 1 (2031-07-22 14:00): Leader 1 leads another session at that time (13:00–15:00)." in detail
    assert "Meeting 1 (2031-07-22 14:00): the room room a is booked for another session" in detail
    assert client.get(f"{base}/groups/{second}/meetings").json == []


def test_moving_a_meeting_through_the_api(api, db_session):
    client, tenant, base, leader_ids = api
    group_id = _new_group(client, base, leader_ids).json["id"]
    meetings = client.post(f"{base}/groups/{group_id}/meetings", json={"first_start": FIRST_TEXT}).json
    url = f"{base}/meetings/{meetings[1]['id']}"
    with tenant_scope(tenant.id):
        create_session(db_session, {"plugin": "core", "kind": "meeting", "title": "Other", "location": "Room A",
                                    "starts_at": FIRST + timedelta(days=8), "ends_at": FIRST + timedelta(days=8, hours=1)})
        db_session.commit()
    clash = client.patch(url, json={"starts_at": "2031-05-14T13:30:00+02:00"})
    assert clash.status_code == 409 and clash.json["detail"].startswith("Meeting 2 (2031-05-14 13:30)")
    # #7 item 13: in order and not in the past, or the later meetings move too.
    disorder = client.patch(url, json={"starts_at": "2031-05-20T14:00:00+02:00"})
    assert disorder.status_code == 422 and disorder.json["errors"]["starts_at"] == [
        "Meeting 2 must come before meeting 3 (2031-05-20 13:00). Choose an earlier time, or move the later "
        "meetings by the same amount."]
    passed = client.patch(url, json={"starts_at": "2020-05-20T14:00:00+02:00"})
    assert passed.status_code == 422 and "has passed" in passed.json["errors"]["starts_at"][0]
    along = client.patch(url, json={"starts_at": "2031-05-20T14:00:00+02:00", "move_later": True})
    assert along.status_code == 200
    later = client.get(f"{base}/groups/{group_id}/meetings").json
    assert [m["starts_at"][:16] for m in later[1:4]] == ["2031-05-20T12:00", "2031-05-27T12:00", "2031-06-03T12:00"]
    assert client.patch(url, json={"location": "Room B"}).status_code == 422  # starts_at is needed
    moved = client.patch(url, json={"starts_at": "2031-05-14T10:30:00+02:00", "location": "Room B"})
    assert moved.status_code == 200
    assert moved.json["starts_at"].startswith("2031-05-14T08:30:00") and moved.json["ends_at"].startswith(
        "2031-05-14T10:30:00")
    assert moved.json["location"] == "Room B"


def test_changing_and_cancelling_a_group(api, db_session, make_user):
    client, tenant, base, leader_ids = api
    third = trained(db_session, make_user, tenant, "Tova Third")
    group_id = _new_group(client, base, leader_ids).json["id"]
    changed = client.patch(f"{base}/groups/{group_id}",
                           json={"name": "Tuesdays", "leader_ids": [leader_ids[0], third.id]})
    assert changed.status_code == 200 and changed.json["name"] == "Tuesdays"
    assert sorted(l["user_id"] for l in changed.json["leaders"]) == sorted([leader_ids[0], third.id])
    assert client.patch(f"{base}/groups/{group_id}", json={"leader_ids": [third.id]}).status_code == 422
    assert client.patch(f"{base}/groups/{group_id}", json={"status": "running"}).status_code == 422
    cancelled = client.patch(f"{base}/groups/{group_id}", json={"status": "cancelled"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    refused = client.patch(f"{base}/groups/{group_id}", json={"name": "Again"})
    assert refused.status_code == 409 and "cancelled" in refused.json["detail"]
    assert client.post(f"{base}/groups/{group_id}/meetings", json={"first_start": FIRST_TEXT}).status_code == 409


def test_attendance_and_completion(api, db_session, make_person, courses_begun):
    client, tenant, base, leader_ids = api
    group = form(db_session, tenant, [trained_user for trained_user in _users(db_session, leader_ids)])
    anna = place(db_session, make_person, tenant, group, first_name="Anna", last_name="Berg").id
    bo = place(db_session, make_person, tenant, group, first_name="Bo", last_name="Ek").id
    meetings = client.post(f"{base}/groups/{group.id}/meetings", json={"first_start": FIRST_TEXT}).json
    for n, meeting in enumerate(meetings):
        entries = [{"person_id": anna, "status": "present"},
                   {"person_id": bo, "status": "present" if n < 8 else "absent"}]
        response = client.put(f"{base}/meetings/{meeting['id']}/attendance", json={"attendance": entries})
        assert response.status_code == 200
    rows = client.get(f"{base}/meetings/{meetings[9]['id']}/attendance").json
    assert {(r["name"], r["status"]) for r in rows} == {("Anna Berg", "present"), ("Bo Ek", "absent")}
    completion = client.get(f"{base}/groups/{group.id}/completion").json
    assert completion["completion_meetings"] == 9 and completion["meetings"] == 12
    assert completion["participants"] == [
        {"person_id": anna, "name": "Anna Berg", "attended": 12, "completed": True},
        {"person_id": bo, "name": "Bo Ek", "attended": 8, "completed": False},
    ]
    url = f"{base}/meetings/{meetings[0]['id']}/attendance"
    stranger = make_person(tenant).id
    assert client.put(url, json={"attendance": [{"person_id": stranger, "status": "present"}]}).status_code == 422
    assert client.put(url, json={"attendance": [{"person_id": anna, "status": "asleep"}]}).status_code == 422
    assert client.put(url, json={"attendance": []}).status_code == 422


def test_attendance_before_a_meeting_is_only_who_will_not_come(api, db_session, make_person):
    """#7 item 12: the meetings of 2031 have not started."""
    client, tenant, base, leader_ids = api
    group = form(db_session, tenant, _users(db_session, leader_ids))
    anna = place(db_session, make_person, tenant, group).id
    meetings = client.post(f"{base}/groups/{group.id}/meetings", json={"first_start": FIRST_TEXT}).json
    url = f"{base}/meetings/{meetings[0]['id']}/attendance"
    refused = client.put(url, json={"attendance": [{"person_id": anna, "status": "present"}]})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.json["errors"]["attendance"][0].startswith("The meeting has not started yet.")
    ahead = client.put(url, json={"attendance": [{"person_id": anna, "status": "absent_with_notice"}]})
    assert ahead.status_code == 200 and ahead.json[0]["status"] == "absent_with_notice"
    assert client.get(f"{base}/groups/{group.id}/completion").json["participants"][0]["attended"] == 0


def _users(db_session, ids):
    from core.auth.models import User

    return [db_session.get(User, i) for i in ids]


def test_a_leader_records_attendance_but_cannot_form_groups(client, db_session, vip_tenant, trained_leaders,
                                                            make_person, courses_begun):
    group = form(db_session, vip_tenant, trained_leaders)
    person = place(db_session, make_person, vip_tenant, group).id
    [meeting_id, *_rest] = generate(db_session, vip_tenant, group)
    base = f"/api/v1/t/{vip_tenant.slug}/vip"
    login_en(client, trained_leaders[0])
    assert client.get(f"{base}/groups").status_code == 200
    assert _new_group(client, base, [u.id for u in trained_leaders]).status_code == 403
    assert client.patch(f"{base}/meetings/{meeting_id}", json={"starts_at": FIRST_TEXT}).status_code == 403
    response = client.put(f"{base}/meetings/{meeting_id}/attendance",
                          json={"attendance": [{"person_id": person, "status": "present"}]})
    assert response.status_code == 200 and response.json[0]["status"] == "present"


def test_another_tenants_groups_and_meetings_are_not_found(api, db_session, make_vip_tenant, make_user):
    client, _tenant, base, _leader_ids = api
    other = make_vip_tenant()
    theirs = form(db_session, other, [trained(db_session, make_user, other, f"O{n}") for n in (1, 2)])
    [meeting_id, *_rest] = generate(db_session, other, theirs)
    for path in (f"/groups/{theirs.id}", f"/groups/{theirs.id}/meetings", f"/groups/{theirs.id}/completion",
                 f"/meetings/{meeting_id}", f"/meetings/{meeting_id}/attendance"):
        assert client.get(base + path).status_code == 404, path
    assert client.patch(f"{base}/groups/{theirs.id}", json={"name": "Mine"}).status_code == 404
    assert client.patch(f"{base}/meetings/{meeting_id}", json={"starts_at": FIRST_TEXT}).status_code == 404
    assert client.post(f"{base}/groups/{theirs.id}/meetings", json={"first_start": FIRST_TEXT}).status_code == 404
    assert client.get(base + "/groups").json["total"] == 0


def test_own_groups_and_meetings_are_found(api, db_session):
    client, tenant, base, leader_ids = api
    group = form(db_session, tenant, _users(db_session, leader_ids))
    [meeting_id, *_rest] = generate(db_session, tenant, group)
    for path in (f"/groups/{group.id}", f"/groups/{group.id}/meetings", f"/groups/{group.id}/completion",
                 f"/meetings/{meeting_id}", f"/meetings/{meeting_id}/attendance"):
        assert client.get(base + path).status_code == 200, path


def test_lists_run_constant_queries(api, db_session, make_person, query_counter):
    client, tenant, base, leader_ids = api
    leaders = _users(db_session, leader_ids)
    group = form(db_session, tenant, leaders)
    place(db_session, make_person, tenant, group)
    [meeting_id, *_rest] = generate(db_session, tenant, group)

    def grow():
        for n in range(4):
            other = form(db_session, tenant, leaders, name=f"Group {n}", location=f"Room {n}")
            generate(db_session, tenant, other, first=FIRST + timedelta(hours=3 * (n + 1)))
            join_meetings(db_session, tenant, group, place(db_session, make_person, tenant, group))

    query_counter.assert_constant(client, [f"{base}/groups", f"{base}/groups/{group.id}",
                                           f"{base}/groups/{group.id}/meetings",
                                           f"{base}/groups/{group.id}/completion",
                                           f"{base}/meetings/{meeting_id}/attendance"], grow)


def test_a_core_session_of_another_programme_blocks_the_api_too(api, db_session):
    client, tenant, base, leader_ids = api
    group_id = _new_group(client, base, leader_ids).json["id"]
    with tenant_scope(tenant.id):
        create_session(db_session, {"plugin": "core", "kind": "meeting", "title": "Visit to Anna Svensson",
                                    "starts_at": FIRST, "ends_at": FIRST + timedelta(hours=1)},
                       leader_ids=[leader_ids[1]])
        db_session.commit()
    response = client.post(f"{base}/groups/{group_id}/meetings", json={"first_start": FIRST_TEXT})
    assert response.status_code == 409 and "Leader 2 leads another session" in response.json["detail"]
    assert "Anna" not in response.text
    assert reload(db_session, tenant, group_id).meetings == []
