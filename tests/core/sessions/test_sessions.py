"""Sessions: planning, attendance, isolation, constant queries, and the iCalendar feed."""

from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from core.testing.app import login

SOON = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
#: A session that has begun: its attendance can be recorded.
PAST = SOON - timedelta(days=6)


@pytest.fixture
def staff(client, make_tenant, make_user):
    tenant = make_tenant(plugins={"sample": {}})
    user = make_user(("staff", tenant), name="Lena Leader")
    login(client, user, language="en")
    return client, tenant, user, f"/api/v1/t/{tenant.slug}"


def _plan(client, base, **extra):
    body = {"title": "Group meeting 1", "plugin": "sample", "kind": "group_meeting",
            "starts_at": SOON.isoformat(), "ends_at": (SOON + timedelta(hours=2)).isoformat(),
            "location": "Room 2", **extra}
    return client.post(f"{base}/sessions", json=body)


def test_plan_a_session_with_leaders_and_participants(staff, make_person):
    client, tenant, user, base = staff
    people = [make_person(tenant) for _ in range(2)]
    created = _plan(client, base, leader_ids=[user.id], participant_ids=[p.id for p in people])
    assert created.status_code == 201, created.json
    assert [l["name"] for l in created.json["leaders"]] == ["Lena Leader"]
    attendance = client.get(f"{base}/sessions/{created.json['id']}/attendance").json
    assert sorted(a["person_id"] for a in attendance) == sorted(p.id for p in people)
    assert {a["status"] for a in attendance} == {None}


@pytest.mark.parametrize(("extra", "field"), [
    ({"ends_at": SOON.isoformat()}, "ends_at"),
    ({"leader_ids": [999999]}, "leader_ids"),
    ({"participant_ids": [999999]}, "participant_ids"),
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"title": ""}, "title"),
])
def test_bad_sessions_are_422_with_the_field(staff, extra, field):
    client, _tenant, _user, base = staff
    response = _plan(client, base, **extra)
    assert response.status_code == 422 and field in response.json["errors"]


def test_another_tenants_people_and_staff_cannot_be_added(staff, make_tenant, make_user, make_person):
    client, _tenant, _user, base = staff
    other = make_tenant()
    outsider, stranger = make_person(other), make_user(("staff", other))
    response = _plan(client, base, leader_ids=[stranger.id], participant_ids=[outsider.id])
    assert response.status_code == 422 and {"leader_ids", "participant_ids"} <= set(response.json["errors"])


def _plan_past(client, base, **extra):
    return _plan(client, base, starts_at=PAST.isoformat(), ends_at=(PAST + timedelta(hours=2)).isoformat(), **extra)


def test_record_attendance(staff, make_person):
    client, tenant, _user, base = staff
    a, b = make_person(tenant), make_person(tenant)
    sid = _plan_past(client, base, participant_ids=[a.id, b.id]).json["id"]
    response = client.put(f"{base}/sessions/{sid}/attendance", json={"attendance": [
        {"person_id": a.id, "status": "present"}, {"person_id": b.id, "status": "absent_with_notice"}]})
    assert {r["person_id"]: r["status"] for r in response.json} == {a.id: "present", b.id: "absent_with_notice"}
    bad = client.put(f"{base}/sessions/{sid}/attendance", json={"attendance": [{"person_id": 424242, "status": "present"}]})
    assert bad.status_code == 422
    assert client.put(f"{base}/sessions/{sid}/attendance", json={"attendance": [{"person_id": a.id, "status": "late"}]}).status_code == 422


def test_a_tenants_session_is_visible_in_it(staff):
    client, _tenant, _user, base = staff
    sid = _plan(client, base).json["id"]
    assert client.get(f"{base}/sessions/{sid}").status_code == 200


def test_another_tenants_session_is_not_found(staff, client, make_tenant, make_user):
    client, _tenant, _user, base = staff
    sid = _plan(client, base).json["id"]
    other = make_tenant()
    login(client, make_user(("staff", other)))
    assert client.get(f"/api/v1/t/{other.slug}/sessions/{sid}").status_code == 404
    assert client.get(f"/t/{other.slug}/sessions/{sid}").status_code == 404
    assert client.get(f"{base}/sessions/{sid}").status_code == 404


def test_session_lists_run_constant_queries(staff, make_person, query_counter):
    client, tenant, user, base = staff
    _plan(client, base, leader_ids=[user.id])
    with query_counter.counting() as one:
        client.get(f"{base}/sessions")
        client.get(f"/t/{tenant.slug}/sessions/")
    for i in range(20):
        _plan(client, base, leader_ids=[user.id], title=f"Meeting {i}")
    with query_counter.counting() as many:
        client.get(f"{base}/sessions")
        client.get(f"/t/{tenant.slug}/sessions/")
    assert one.count == many.count


def test_attendance_page_runs_constant_queries_and_saves(staff, make_person, query_counter):
    client, tenant, _user, base = staff
    few = [make_person(tenant)]
    many = [make_person(tenant) for _ in range(15)]
    sid_few = _plan_past(client, base, participant_ids=[p.id for p in few]).json["id"]
    sid_many = _plan_past(client, base, participant_ids=[p.id for p in many]).json["id"]
    with query_counter.counting() as one:
        client.get(f"/t/{tenant.slug}/sessions/{sid_few}")
    with query_counter.counting() as lots:
        client.get(f"/t/{tenant.slug}/sessions/{sid_many}")
    assert one.count == lots.count
    saved = client.post(f"/t/{tenant.slug}/sessions/{sid_few}", data={f"status-{few[0].id}": "present"})
    assert saved.status_code == 302
    assert client.get(f"{base}/sessions/{sid_few}/attendance").json[0]["status"] == "present"
    bad = client.post(f"/t/{tenant.slug}/sessions/{sid_few}", data={f"status-{few[0].id}": "sleeping"})
    assert bad.status_code == 422


def test_calendar_feed_lists_sessions_without_participants_and_can_be_revoked(staff, client, make_person):
    client, tenant, _user, base = staff
    person = make_person(tenant, first_name="Zelda")
    _plan(client, base, participant_ids=[person.id])
    feed = client.post(f"{base}/calendar-feeds", json={"label": "Leaders", "plugin": "sample"})
    assert feed.status_code == 201
    path = feed.json["url"].split("localhost", 1)[-1]
    client.post("/logout")
    ics = client.get(path)
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(ics.data).walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["Group meeting 1"] and "Zelda" not in ics.text
    assert client.get(path.replace(".ics", "x.ics")).status_code == 404
    login(client, _user)
    client.delete(f"{base}/calendar-feeds/{feed.json['id']}")
    assert client.get(path).status_code == 404
    assert "url" not in client.get(f"{base}/calendar-feeds").json[0]


def test_calendar_feed_token_does_not_open_another_tenant(staff, client, make_tenant):
    client, _tenant, _user, base = staff
    url = client.post(f"{base}/calendar-feeds", json={"label": "All"}).json["url"]
    other = make_tenant()
    token_path = url.split("/calendar/", 1)[1]
    assert client.get(f"/t/{other.slug}/calendar/{token_path}").status_code == 404


def test_calendar_feed_page(staff):
    client, tenant, _user, _base = staff
    page = client.post(f"/t/{tenant.slug}/admin/calendar-feeds", data={"label": "Everything"})
    assert page.status_code == 200 and "/calendar/" in page.text and "Everything" in page.text


def test_a_time_with_an_offset_is_kept_as_the_same_moment(staff):
    """SQLite keeps no offset: 10:00+02:00 must be stored as 08:00 UTC, not as 10:00."""
    client, _tenant, _user, base = staff
    created = _plan(client, base, starts_at="2031-05-01T10:00:00+02:00", ends_at="2031-05-01T11:00:00+02:00")
    assert created.status_code == 201, created.json
    read = client.get(f"{base}/sessions/{created.json['id']}").json
    assert datetime.fromisoformat(read["starts_at"]) == datetime(2031, 5, 1, 8, 0, tzinfo=timezone.utc)
    def listed_from(moment: str) -> list[int]:
        return [s["id"] for s in client.get(f"{base}/sessions", query_string={"from": moment}).json["items"]]

    assert listed_from("2031-05-01T07:30:00Z") == [created.json["id"]]
    assert listed_from("2031-05-01T08:30:00Z") == []


# Attendance before a session starts (#7 item 12)

def test_only_who_will_not_come_is_recorded_before_a_session_starts(staff, make_person):
    client, tenant, _user, base = staff
    a, b = make_person(tenant), make_person(tenant)
    sid = _plan(client, base, participant_ids=[a.id, b.id]).json["id"]
    url = f"{base}/sessions/{sid}/attendance"
    for status in ("present", "absent"):
        refused = client.put(url, json={"attendance": [{"person_id": a.id, "status": status}]})
        assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
        assert "has not started yet" in " ".join(refused.json["errors"]["attendance"])
    ahead = client.put(url, json={"attendance": [{"person_id": a.id, "status": "absent_with_notice"},
                                                 {"person_id": b.id, "status": "cancelled"}]})
    assert ahead.status_code == 200
    assert {r["person_id"]: r["status"] for r in ahead.json} == {a.id: "absent_with_notice", b.id: "cancelled"}


def test_the_attendance_page_of_a_coming_session_offers_and_takes_only_the_answers_known_in_advance(staff,
                                                                                                     make_person):
    client, tenant, _user, base = staff
    person = make_person(tenant)
    sid = _plan(client, base, participant_ids=[person.id]).json["id"]
    url = f"/t/{tenant.slug}/sessions/{sid}"
    page = client.get(url).text
    assert 'value="absent_with_notice"' in page and 'value="cancelled"' in page
    assert 'value="present"' not in page and 'value="absent"' not in page
    refused = client.post(url, data={f"status-{person.id}": "present"})
    assert refused.status_code == 422 and "has not started yet" in refused.text
    assert client.get(f"{base}/sessions/{sid}/attendance").json[0]["status"] is None
    assert client.post(url, data={f"status-{person.id}": "cancelled"}).status_code == 302
    assert client.get(f"{base}/sessions/{sid}/attendance").json[0]["status"] == "cancelled"


def test_saving_attendance_with_nothing_chosen_says_nothing_was_saved(staff, make_person):
    """#7 item 17."""
    client, tenant, _user, base = staff
    person = make_person(tenant)
    sid = _plan_past(client, base, participant_ids=[person.id]).json["id"]
    response = client.post(f"/t/{tenant.slug}/sessions/{sid}", data={}, follow_redirects=True)
    assert "Nothing was chosen, so nothing was saved." in response.text and "Attendance saved." not in response.text


# The tenant's clock (#7 item 14)

@pytest.mark.parametrize(("moment", "shown"), [
    (datetime(2031, 1, 14, 11, 0, tzinfo=timezone.utc), "2031-01-14 12:00–14:00"),  # winter time, UTC+1
    (datetime(2031, 7, 15, 11, 0, tzinfo=timezone.utc), "2031-07-15 13:00–15:00"),  # summer time, UTC+2
])
def test_session_times_are_shown_on_the_swedish_tenants_clock(staff, moment, shown):
    client, tenant, _user, base = staff
    sid = _plan(client, base, starts_at=moment.isoformat(), ends_at=(moment + timedelta(hours=2)).isoformat()).json["id"]
    assert shown in client.get(f"/t/{tenant.slug}/sessions/").text
    assert shown in client.get(f"/t/{tenant.slug}/sessions/{sid}").text


def test_calendar_feed_times_are_utc(staff, client):
    client, tenant, _user, base = staff
    moment = datetime(2031, 7, 15, 11, 0, tzinfo=timezone.utc)
    _plan(client, base, starts_at=moment.isoformat(), ends_at=(moment + timedelta(hours=2)).isoformat())
    path = client.post(f"{base}/calendar-feeds", json={"label": "All"}).json["url"].split("localhost", 1)[-1]
    ics = client.get(path).text
    assert "DTSTART:20310715T110000Z" in ics and "DTEND:20310715T130000Z" in ics
    assert "X-WR-TIMEZONE:Europe/Stockholm" in ics


# A feed's programme (#7 item 17)

def _installed_not_enabled(app) -> str:
    """A programme installed here that ``staff``'s tenant has not enabled (it has the sample only)."""
    others = sorted(set(app.extensions["samverka"].registry.plugins) - {"sample"})
    assert others, "these checks need a second installed plugin"
    return others[0]


def test_a_feeds_programme_must_be_one_of_the_tenants_plugins(app, staff):
    client, _tenant, _user, base = staff
    for typed in (_installed_not_enabled(app), "nonsense", "core"):
        refused = client.post(f"{base}/calendar-feeds", json={"label": "Feed", "plugin": typed})
        assert refused.status_code == 422 and "plugin" in refused.json["errors"]
    assert client.post(f"{base}/calendar-feeds", json={"label": "Feed", "plugin": "sample"}).status_code == 201
    assert client.post(f"{base}/calendar-feeds", json={"label": "Feed", "plugin": None}).status_code == 201


def test_the_feed_page_offers_the_enabled_plugins_by_title(app, staff):
    client, tenant, _user, _base = staff
    other = _installed_not_enabled(app)
    url = f"/t/{tenant.slug}/admin/calendar-feeds"
    page = client.get(url).text
    assert '<select id="plugin" name="plugin"' in page and '<option value="sample">Sample programme</option>' in page
    assert f'value="{other}"' not in page
    refused = client.post(url, data={"label": "Mine", "plugin": other})
    assert refused.status_code == 422 and 'id="plugin-error"' in refused.text and 'value="Mine"' in refused.text
    made = client.post(url, data={"label": "Mine", "plugin": "sample"})
    assert made.status_code == 200 and "/calendar/" in made.text and "<td>Sample programme</td>" in made.text
