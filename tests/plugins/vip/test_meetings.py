"""VIP meetings: the course generated as core sessions, no double booking of leaders or rooms,
moving a meeting, themes in the reader's language, attendance; the attendance and move pages."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.db import tenant_scope, utcnow
from core.sessions.models import Attendance, AttendanceStatus, ScheduledSession
from core.sessions.services import create_session
from plugins.vip.models import Application, ApplicationStatus, Channel, ContactVia, Group, Meeting
from plugins.vip.services import meetings as meeting_services
from plugins.vip.services.group_errors import GroupError
from plugins.vip.services.ranking import initial_rank
from plugins.vip.settings import DEFAULT_CURRICULUM
from tests.plugins.vip.test_groups import FIRST, form, generate, login_en, place, reload, trained


@pytest.fixture
def leaders(trained_leaders):
    return trained_leaders


@pytest.fixture
def group(db_session, vip_tenant, leaders):
    return form(db_session, vip_tenant, leaders)


def _core_session(db_session, tenant, start, minutes=60, **data):
    with tenant_scope(tenant.id):
        leader_ids = data.pop("leader_ids", [])
        scheduled = create_session(db_session, {"plugin": "core", "kind": "meeting", "title": "Other",
                                                "starts_at": start, "ends_at": start + timedelta(minutes=minutes),
                                                **data}, leader_ids=leader_ids)
        db_session.commit()
        return scheduled.id


def _vip_sessions(db_session, tenant):
    with tenant_scope(tenant.id):
        return db_session.scalar(select(ScheduledSession.id).where(ScheduledSession.plugin == "vip").limit(1))


# Generating

def test_twelve_meetings_as_core_sessions_with_leaders_participants_and_themes(db_session, vip_tenant, leaders, group,
                                                                                make_person):
    placed = [place(db_session, make_person, vip_tenant, group) for _ in range(2)]
    waiting = make_person(vip_tenant)
    with tenant_scope(vip_tenant.id):
        db_session.add(Application(person_id=waiting.id, audience="women", channel=Channel.web,
                                   contact_via=ContactVia.self, status=ApplicationStatus.waiting,
                                   queue_rank=initial_rank(False, FIRST)))
        db_session.commit()
    generate(db_session, vip_tenant, group)
    meetings = reload(db_session, vip_tenant, group.id).meetings
    assert [m.number for m in meetings] == list(range(1, 13))
    assert [m.theme for m in meetings] == list(DEFAULT_CURRICULUM)
    first, third = meetings[0].session, meetings[2].session
    assert (first.plugin, first.kind, first.reference) == ("vip", "group_meeting", f"vip_group:{group.id}")
    assert third.title == "Women, spring #3"  # stored the same in every language; worded by the hook
    assert [m.session.starts_at for m in meetings] == [FIRST + timedelta(weeks=n) for n in range(12)]
    assert all(m.session.ends_at - m.session.starts_at == timedelta(minutes=120) for m in meetings)
    assert {m.session.location for m in meetings} == {"Room A"}
    assert all(sorted(sl.user_id for sl in m.session.leaders) == sorted(u.id for u in leaders) for m in meetings)
    with tenant_scope(vip_tenant.id):
        expected = sorted(p.id for p in placed)
        for m in meetings:
            rows = db_session.scalars(select(Attendance).where(Attendance.session_id == m.session_id)).all()
            assert sorted(a.person_id for a in rows) == expected and all(a.status is None for a in rows)


def test_a_tenants_own_curriculum_and_course_length(db_session, make_vip_tenant, make_user):
    tenant = make_vip_tenant(meetings_per_course=3, completion_meetings=2, meeting_minutes=90, break_minutes=10,
                             curriculum=["Känslor", "Relationer", "Våra rättigheter"])
    users = [trained(db_session, make_user, tenant, f"L{n}") for n in (1, 2)]
    group = form(db_session, tenant, users)
    generate(db_session, tenant, group, every_days=14)
    meetings = reload(db_session, tenant, group.id).meetings
    assert [(m.number, m.theme) for m in meetings] == [(1, "Känslor"), (2, "Relationer"), (3, "Våra rättigheter")]
    assert [m.session.starts_at for m in meetings] == [FIRST, FIRST + timedelta(days=14), FIRST + timedelta(days=28)]
    assert meetings[0].session.ends_at == FIRST + timedelta(minutes=90)


def test_default_themes_follow_the_readers_language_and_own_themes_show_as_written(monkeypatch):
    monkeypatch.setattr(meeting_services, "_", lambda text, **kw: f"«{text}»" % kw if kw else f"«{text}»")
    assert meeting_services.theme_label("Emotions") == "«Emotions»"
    assert meeting_services.theme_label("Our rights") == "«Our rights»"
    assert meeting_services.theme_label("Känslor") == "Känslor"
    assert meeting_services.theme_label("Emotions, part two") == "Emotions, part two"


def test_every_default_theme_is_marked_for_translation():
    from plugins.vip.strings import THEMES

    assert set(DEFAULT_CURRICULUM) == set(THEMES)


def test_meetings_keep_the_local_clock_across_summer_time(db_session, vip_tenant, group):
    # 13:00 in Stockholm on Tuesday 18 March 2031 (winter time, UTC+1); summer time starts on 30 March.
    generate(db_session, vip_tenant, group, first=datetime(2031, 3, 18, 12, 0, tzinfo=timezone.utc))
    starts = [m.session.starts_at for m in reload(db_session, vip_tenant, group.id).meetings]
    assert starts[1] == datetime(2031, 3, 25, 12, 0, tzinfo=timezone.utc)
    assert starts[2] == datetime(2031, 4, 1, 11, 0, tzinfo=timezone.utc)  # still 13:00 on the local clock


def test_skipped_dates_push_the_rest_of_the_course_on(db_session, vip_tenant, group):
    generate(db_session, vip_tenant, group, skip_dates=[date(2031, 5, 13), date(2031, 5, 27), date(2031, 1, 1)])
    starts = [m.session.starts_at for m in reload(db_session, vip_tenant, group.id).meetings]
    assert starts[:3] == [FIRST, FIRST + timedelta(weeks=2), FIRST + timedelta(weeks=4)]
    assert len(starts) == 12 and starts[-1] == FIRST + timedelta(weeks=13)


def test_a_group_gets_its_meetings_once(db_session, vip_tenant, group):
    generate(db_session, vip_tenant, group)
    with pytest.raises(GroupError) as refused:
        generate(db_session, vip_tenant, group, first=FIRST + timedelta(weeks=30))
    assert refused.value.conflict and refused.value.errors == {"first_start": ["This group already has its meetings."]}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"first": None}, "first_start"),
    ({"every_days": 0}, "every_days"),
    ({"every_days": 29}, "every_days"),
    ({"location": "   "}, "location"),
    ({"location": "x" * 301}, "location"),
])
def test_bad_input_is_refused_without_a_conflict(db_session, vip_tenant, group, kwargs, field):
    with pytest.raises(GroupError) as refused:
        generate(db_session, vip_tenant, group, **kwargs)
    assert field in refused.value.errors and not refused.value.conflict
    assert _vip_sessions(db_session, vip_tenant) is None


def test_a_group_without_a_room_needs_a_place(db_session, vip_tenant, leaders):
    group = form(db_session, vip_tenant, leaders, location=None)
    with pytest.raises(GroupError) as refused:
        generate(db_session, vip_tenant, group)
    assert "location" in refused.value.errors
    generate(db_session, vip_tenant, group, location="Room Q")
    assert reload(db_session, vip_tenant, group.id).location == "Room Q"


# Double booking

def test_a_leader_cannot_lead_two_groups_at_once(db_session, vip_tenant, leaders, make_user):
    other_leader = trained(db_session, make_user, vip_tenant, "Third Leader")
    generate(db_session, vip_tenant, form(db_session, vip_tenant, leaders))
    second = form(db_session, vip_tenant, [leaders[1], other_leader], name="Men", audience="men", location="Room B")
    with pytest.raises(GroupError) as refused:
        generate(db_session, vip_tenant, second, first=FIRST + timedelta(weeks=3, hours=1))
    assert refused.value.conflict and list(refused.value.errors) == ["first_start"]
    messages = refused.value.errors["first_start"]
    assert messages[0] == ("Meeting 1 (2031-05-27 14:00): Leader 2 leads another session at that time "
                           "(13:00–15:00).")
    assert len(messages) == 9  # meetings 1-9 of the second group overlap meetings 4-12 of the first
    assert reload(db_session, vip_tenant, second.id).meetings == []


def test_a_room_cannot_hold_two_groups_at_once_whatever_its_spelling(db_session, vip_tenant, leaders, make_user):
    generate(db_session, vip_tenant, form(db_session, vip_tenant, leaders, location="Room A"))
    others = [trained(db_session, make_user, vip_tenant, f"Other {n}") for n in (1, 2)]
    second = form(db_session, vip_tenant, others, name="Men", audience="men", location="  room   A ")
    with pytest.raises(GroupError) as refused:
        generate(db_session, vip_tenant, second, first=FIRST + timedelta(minutes=119))
    assert list(refused.value.errors) == ["location"]
    assert refused.value.errors["location"][0] == ("Meeting 1 (2031-05-06 14:59): the room room   A is booked for "
                                                  "another session at that time (13:00–15:00).")


def test_a_core_session_of_another_programme_blocks_a_leader_without_showing_its_title(db_session, vip_tenant,
                                                                                       leaders, group):
    _core_session(db_session, vip_tenant, FIRST + timedelta(weeks=5, minutes=-30),
                  title="Home visit to Anna Svensson", leader_ids=[leaders[0].id])
    with pytest.raises(GroupError) as refused:
        generate(db_session, vip_tenant, group)
    [message] = refused.value.errors["first_start"]
    assert message == "Meeting 6 (2031-06-10 13:00): Leader 1 leads another session at that time (12:30–13:30)."
    assert "Anna" not in str(refused.value.errors)


def test_a_core_session_blocks_the_room(db_session, vip_tenant, group):
    _core_session(db_session, vip_tenant, FIRST + timedelta(weeks=11, hours=1), location="ROOM A")
    with pytest.raises(GroupError) as refused:
        generate(db_session, vip_tenant, group)
    assert refused.value.errors["location"][0].startswith("Meeting 12 (2031-07-22 13:00): the room Room A is booked")


def test_back_to_back_sessions_and_cancelled_ones_are_no_clash(db_session, vip_tenant, leaders, group):
    _core_session(db_session, vip_tenant, FIRST - timedelta(hours=1), leader_ids=[leaders[0].id], location="Room A")
    _core_session(db_session, vip_tenant, FIRST + timedelta(hours=2), leader_ids=[leaders[0].id], location="Room A")
    _core_session(db_session, vip_tenant, FIRST, leader_ids=[leaders[0].id], location="Room A", cancelled=True)
    assert len(generate(db_session, vip_tenant, group)) == 12


def test_another_tenants_sessions_are_no_clash(db_session, vip_tenant, leaders, group, make_vip_tenant):
    elsewhere = make_vip_tenant()
    _core_session(db_session, elsewhere, FIRST, location="Room A")
    assert len(generate(db_session, vip_tenant, group)) == 12


def test_the_same_leader_elsewhere_in_a_room_of_another_name_is_still_a_clash(db_session, vip_tenant, leaders, group):
    _core_session(db_session, vip_tenant, FIRST, location="Room B", leader_ids=[leaders[1].id])
    with pytest.raises(GroupError) as refused:
        generate(db_session, vip_tenant, group)
    assert list(refused.value.errors) == ["first_start"]


# Moving one meeting

@pytest.fixture
def planned(db_session, vip_tenant, group):
    generate(db_session, vip_tenant, group)
    return reload(db_session, vip_tenant, group.id)


def _reschedule(db_session, tenant, meeting_id, starts_at, location=None):
    with tenant_scope(tenant.id):
        meeting = meeting_services.get_meeting(db_session, meeting_id)
        meeting_services.reschedule(db_session, meeting, starts_at, location=location)
        db_session.commit()
        return meeting


def test_moving_a_meeting_keeps_its_length_and_may_overlap_its_own_old_time(db_session, vip_tenant, planned):
    meeting = _reschedule(db_session, vip_tenant, planned.meetings[2].id, planned.meetings[2].session.starts_at
                          + timedelta(minutes=30), location="Room B")
    assert meeting.session.starts_at == FIRST + timedelta(weeks=2, minutes=30)
    assert meeting.session.ends_at == FIRST + timedelta(weeks=2, minutes=150)
    assert meeting.session.location == "Room B"


def test_a_meeting_cannot_move_past_its_neighbours(db_session, vip_tenant, planned):
    """#7 item 13: the series keeps its order."""
    third = planned.meetings[2]
    for target, message in ((planned.meetings[3].session.starts_at, "Meeting 3 must come before meeting 4 "
                                                                    "(2031-05-27 13:00)."),
                            (planned.meetings[1].session.starts_at - timedelta(days=1),
                             "Meeting 3 must come after meeting 2 (2031-05-13 13:00).")):
        with pytest.raises(GroupError) as refused:
            _reschedule(db_session, vip_tenant, third.id, target)
        assert not refused.value.conflict and refused.value.errors["starts_at"][0].startswith(message)
    assert reload(db_session, vip_tenant, planned.id).meetings[2].session.starts_at == FIRST + timedelta(weeks=2)


def test_a_meeting_cannot_move_into_the_past(db_session, vip_tenant, group):
    """#7 item 13."""
    generate(db_session, vip_tenant, group, first=utcnow() + timedelta(days=1))
    first = reload(db_session, vip_tenant, group.id).meetings[0]
    with pytest.raises(GroupError) as refused:
        _reschedule(db_session, vip_tenant, first.id, utcnow() - timedelta(hours=1))
    assert refused.value.errors == {"starts_at": ["That time has passed. Choose a time still to come."]}


def test_the_later_meetings_move_by_the_same_amount_when_staff_choose_so(db_session, vip_tenant, planned):
    """#7 item 13: two days later, on the local clock (the course runs across no clock change here)."""
    with tenant_scope(vip_tenant.id):
        meeting = meeting_services.get_meeting(db_session, planned.meetings[9].id)
        meeting_services.reschedule(db_session, meeting, FIRST + timedelta(weeks=10, days=2), move_later=True)
        db_session.commit()
    starts = [m.session.starts_at for m in reload(db_session, vip_tenant, planned.id).meetings]
    assert starts[:9] == [FIRST + timedelta(weeks=n) for n in range(9)]
    assert starts[9:] == [FIRST + timedelta(weeks=n, days=2) for n in (10, 11, 12)]


def test_moving_the_later_meetings_keeps_the_local_clock_across_summer_time(db_session, vip_tenant, group):
    # Meetings on Tuesdays at 13:00 in Stockholm from 4 March 2031; summer time starts on 30 March.
    generate(db_session, vip_tenant, group, first=datetime(2031, 3, 4, 12, 0, tzinfo=timezone.utc))
    planned = reload(db_session, vip_tenant, group.id)
    with tenant_scope(vip_tenant.id):
        meeting = meeting_services.get_meeting(db_session, planned.meetings[1].id)
        meeting_services.reschedule(db_session, meeting, datetime(2031, 3, 18, 12, 0, tzinfo=timezone.utc),
                                    move_later=True)
        db_session.commit()
    starts = [m.session.starts_at for m in reload(db_session, vip_tenant, group.id).meetings]
    assert starts[2] == datetime(2031, 3, 25, 12, 0, tzinfo=timezone.utc)
    assert starts[3] == datetime(2031, 4, 1, 11, 0, tzinfo=timezone.utc)  # still 13:00 on the local clock


def test_moving_the_later_meetings_checks_each_for_double_bookings_all_or_nothing(db_session, vip_tenant, leaders,
                                                                                  planned):
    """#7 item 13: meeting 11's new time clashes with a leader's other session: nothing moves."""
    group_id, meeting_id = planned.id, planned.meetings[8].id
    _core_session(db_session, vip_tenant, FIRST + timedelta(weeks=10, days=1), leader_ids=[leaders[1].id],
                  location="Room Z")
    with pytest.raises(GroupError) as refused:
        with tenant_scope(vip_tenant.id):
            meeting = meeting_services.get_meeting(db_session, meeting_id)
            meeting_services.reschedule(db_session, meeting, FIRST + timedelta(weeks=8, days=1), move_later=True)
    assert refused.value.conflict
    assert refused.value.errors == {"starts_at": ["Meeting 11 (2031-07-16 13:00): Leader 2 leads another session at "
                                                  "that time (13:00–14:00)."]}
    starts = [m.session.starts_at for m in reload(db_session, vip_tenant, group_id).meetings]
    assert starts == [FIRST + timedelta(weeks=n) for n in range(12)]  # not rolled back: nothing was changed


def test_moving_into_a_booked_room_is_refused_and_elsewhere_allowed(db_session, vip_tenant, planned):
    target = FIRST + timedelta(weeks=2, days=1)
    _core_session(db_session, vip_tenant, target, location="Room B")
    with pytest.raises(GroupError) as refused:
        _reschedule(db_session, vip_tenant, planned.meetings[2].id, target, location="room b")
    assert list(refused.value.errors) == ["location"]
    assert _reschedule(db_session, vip_tenant, planned.meetings[2].id, target).session.location == "Room A"


def test_a_cancelled_meeting_is_not_moved(db_session, vip_tenant, planned):
    with tenant_scope(vip_tenant.id):
        planned.meetings[0].session.cancelled = True
        db_session.commit()
    with pytest.raises(GroupError) as refused:
        _reschedule(db_session, vip_tenant, planned.meetings[0].id, FIRST + timedelta(days=1))
    assert refused.value.conflict


# Attendance

def test_attendance_is_recorded_through_core(db_session, vip_tenant, group, make_person, courses_begun):
    anna, bo = place(db_session, make_person, vip_tenant, group), place(db_session, make_person, vip_tenant, group)
    generate(db_session, vip_tenant, group)
    meeting_id = reload(db_session, vip_tenant, group.id).meetings[0].id
    with tenant_scope(vip_tenant.id):
        meeting = meeting_services.get_meeting(db_session, meeting_id)
        meeting_services.record(db_session, meeting, {anna.id: AttendanceStatus.present, bo.id: "absent_with_notice"})
        db_session.commit()
        rows = {a.person_id: a.status for a in db_session.scalars(
            select(Attendance).where(Attendance.session_id == meeting.session_id))}
        assert rows == {anna.id: AttendanceStatus.present, bo.id: AttendanceStatus.absent_with_notice}
        meeting_services.record(db_session, meeting, {bo.id: None})
        assert meeting.session.attendance and {a.person_id: a.status for a in meeting.session.attendance}[bo.id] is None
        stranger = make_person(vip_tenant)
        with pytest.raises(GroupError) as refused:
            meeting_services.record(db_session, meeting, {stranger.id: "present"})
        assert list(refused.value.errors) == ["attendance"]


def test_before_a_meeting_only_who_will_not_come_is_recorded(db_session, vip_tenant, group, make_person):
    """#7 item 12."""
    anna, bo = place(db_session, make_person, vip_tenant, group), place(db_session, make_person, vip_tenant, group)
    generate(db_session, vip_tenant, group)
    meeting_id = reload(db_session, vip_tenant, group.id).meetings[0].id
    before = FIRST - timedelta(minutes=1)
    with tenant_scope(vip_tenant.id):
        meeting = meeting_services.get_meeting(db_session, meeting_id)
        for status in ("present", "absent"):
            with pytest.raises(GroupError) as refused:
                meeting_services.record(db_session, meeting, {anna.id: status}, now=before)
            assert not refused.value.conflict and "has not started yet" in refused.value.errors["attendance"][0]
        meeting_services.record(db_session, meeting, {anna.id: "absent_with_notice", bo.id: "cancelled"}, now=before)
        meeting_services.record(db_session, meeting, {anna.id: "present"}, now=FIRST)
        assert {a.person_id: a.status for a in meeting.session.attendance} == {
            anna.id: AttendanceStatus.present, bo.id: AttendanceStatus.cancelled}


# The attendance page

@pytest.fixture
def leader_client(client, db_session, vip_tenant, leaders, group, make_person, courses_begun):
    people = [place(db_session, make_person, vip_tenant, group, first_name=first, last_name=last).id
              for first, last in (("Sara", "Lind"), ("Omar", "Haddad"))]
    generate(db_session, vip_tenant, group)
    meeting_id = reload(db_session, vip_tenant, group.id).meetings[0].id
    url = f"/t/{vip_tenant.slug}/vip/meetings/{meeting_id}"
    login_en(client, leaders[0])
    return client, url, people


def test_the_attendance_page_lists_everyone_with_the_four_answers(leader_client):
    client, url, (sara, omar) = leader_client
    page = re.sub(r"\s+", " ", client.get(url).text)
    assert "Women, spring: meeting 1" in page and "Emotions" in page and "2031-05-06 13:00–15:00" in page
    assert page.index("<legend>Omar Haddad</legend>") < page.index("<legend>Sara Lind</legend>")
    for value, label in (("present", "Present"), ("absent_with_notice", "Absent with notice"),
                         ("absent", "Absent"), ("cancelled", "Cancelled")):
        assert f'type="radio" id="status-{sara}-{value}" name="status-{sara}" value="{value}"' in page
        assert f'<label for="status-{sara}-{value}">{label}</label>' in page


def test_a_leader_saves_everyones_attendance_at_once(leader_client, db_session, vip_tenant):
    client, url, (sara, omar) = leader_client
    response = client.post(url, data={f"status-{sara}": "present", f"status-{omar}": "absent_with_notice"})
    assert response.status_code == 302
    page = re.sub(r"\s+", " ", client.get(url).text)
    assert "Attendance is saved." in page
    assert 'value="present" checked' in page and 'value="absent_with_notice" checked' in page
    with tenant_scope(vip_tenant.id):
        statuses = dict(db_session.execute(select(Attendance.person_id, Attendance.status)
                                           .where(Attendance.person_id.in_([sara, omar]))
                                           .join(Meeting, Meeting.session_id == Attendance.session_id)
                                           .where(Meeting.number == 1)).all())
    assert statuses == {sara: AttendanceStatus.present, omar: AttendanceStatus.absent_with_notice}


def test_a_wrong_answer_is_shown_by_the_person_and_nothing_is_saved(leader_client, db_session, vip_tenant):
    client, url, (sara, omar) = leader_client
    response = client.post(url, data={f"status-{sara}": "present", f"status-{omar}": "sleeping"})
    assert response.status_code == 422
    page = re.sub(r"\s+", " ", response.text)
    assert f'aria-describedby="status-{omar}-error"' in page and "Choose one of the options." in page
    assert f'id="status-{sara}-present" name="status-{sara}" value="present" checked' in page
    with tenant_scope(vip_tenant.id):
        assert db_session.scalar(select(Attendance.id).where(Attendance.status.is_not(None))) is None


def test_a_coming_meetings_page_takes_only_who_will_not_come(client, db_session, vip_tenant, leaders, group,
                                                             make_person):
    """#7 item 12: the meetings of 2031 have not started (the real clock)."""
    sara = place(db_session, make_person, vip_tenant, group, first_name="Sara", last_name="Lind").id
    tenant_id = vip_tenant.id
    generate(db_session, vip_tenant, group)
    url = f"/t/{vip_tenant.slug}/vip/meetings/{reload(db_session, vip_tenant, group.id).meetings[0].id}"
    login_en(client, leaders[0])
    page = client.get(url).text
    assert f'value="absent_with_notice"' in page and 'value="cancelled"' in page and 'value="present"' not in page
    refused = client.post(url, data={f"status-{sara}": "present"})
    assert refused.status_code == 422 and "The meeting has not started yet." in refused.text
    assert client.post(url, data={f"status-{sara}": "absent_with_notice"}).status_code == 302
    with tenant_scope(tenant_id):
        assert db_session.scalar(select(Attendance.status).where(Attendance.person_id == sara).join(
            Meeting, Meeting.session_id == Attendance.session_id).where(Meeting.number == 1)) == \
            AttendanceStatus.absent_with_notice


def test_saving_with_nothing_chosen_says_nothing_was_saved(leader_client, db_session, vip_tenant):
    """#7 item 17."""
    client, url, _people = leader_client
    page = client.post(url, data={}, follow_redirects=True).text
    assert "Nothing was chosen, so nothing was saved." in page and "Attendance is saved." not in page


def test_who_may_see_and_who_may_record(client, db_session, vip_tenant, leader_client, make_user):
    _client, url, (sara, _omar) = leader_client
    trainer = make_user(("vip.trainer", vip_tenant), name="Tina Trainer")
    login_en(client, trainer)
    page = client.get(url)
    assert page.status_code == 200 and 'type="radio"' not in page.text and "Not recorded" in page.text
    assert client.post(url, data={f"status-{sara}": "present"}).status_code == 403
    login_en(client, make_user(("staff", vip_tenant)))
    assert client.get(url).status_code == 403


def test_another_tenants_meeting_is_not_found(leader_client, db_session, make_vip_tenant, make_user):
    client, url, _people = leader_client
    other = make_vip_tenant()
    theirs = form(db_session, other, [trained(db_session, make_user, other, f"O{n}") for n in (1, 2)])
    [meeting_id, *_rest] = generate(db_session, other, theirs)
    base = url.rsplit("/", 1)[0]
    assert client.get(f"{base}/{meeting_id}").status_code == 404
    assert client.post(f"{base}/{meeting_id}", data={}).status_code == 404


# The move page

def test_moving_a_meeting_on_its_page(client, db_session, vip_tenant, coordinator, leaders, planned):
    slug, group_id = vip_tenant.slug, planned.id
    url = f"/t/{slug}/vip/meetings/{planned.meetings[1].id}/move"
    login_en(client, coordinator)
    form_page = re.sub(r"\s+", " ", client.get(url).text)
    assert 'value="2031-05-13"' in form_page and 'value="13:00"' in form_page and 'value="Room A"' in form_page
    assert 'type="checkbox" id="move_later" name="move_later" value="yes"' in form_page
    _core_session(db_session, vip_tenant, FIRST + timedelta(weeks=1, days=1), leader_ids=[leaders[0].id],
                  location="Room C")
    clash = client.post(url, data={"date": "2031-05-14", "time": "13:00", "location": "Room C"})
    assert clash.status_code == 409 and 'id="date-error"' in clash.text and 'id="location-error"' in clash.text
    bad = client.post(url, data={"date": "soon", "time": "", "location": "Room A"})
    assert bad.status_code == 422 and 'value="soon"' in bad.text
    assert client.post(url, data={"date": "2031-05-14", "time": "10:30", "location": "Room C"}).status_code == 302
    meeting = reload(db_session, vip_tenant, group_id).meetings[1]
    assert meeting.session.starts_at == datetime(2031, 5, 14, 8, 30, tzinfo=timezone.utc)
    assert meeting.session.location == "Room C"
    page = re.sub(r"\s+", " ", client.get(f"/t/{slug}/vip/groups/{group_id}").text)
    assert "<td>2031-05-14</td> <td>10:30–12:30</td> <td>Room C</td>" in page


def test_moving_past_the_next_meeting_on_the_page_asks_to_move_the_later_ones(client, db_session, vip_tenant,
                                                                              coordinator, planned):
    """#7 item 13."""
    url = f"/t/{vip_tenant.slug}/vip/meetings/{planned.meetings[1].id}/move"
    login_en(client, coordinator)
    refused = client.post(url, data={"date": "2031-05-21", "time": "13:00", "location": "Room A"})
    assert refused.status_code == 422 and 'id="date-error"' in refused.text
    assert "Meeting 2 must come before meeting 3 (2031-05-20 13:00)." in refused.text
    assert 'value="2031-05-21"' in refused.text
    moved = client.post(url, data={"date": "2031-05-21", "time": "13:00", "location": "Room A", "move_later": "yes"})
    assert moved.status_code == 302
    starts = [m.session.starts_at for m in reload(db_session, vip_tenant, planned.id).meetings]
    assert starts[1:] == [FIRST + timedelta(weeks=n, days=8) for n in range(1, 12)]


def test_a_leader_cannot_move_a_meeting(client, vip_tenant, leaders, planned):
    url = f"/t/{vip_tenant.slug}/vip/meetings/{planned.meetings[1].id}/move"
    login_en(client, leaders[0])
    assert client.get(url).status_code == 403



# Two coordinators at once (PostgreSQL)

def test_two_plans_for_the_same_leader_at_the_same_moment_cannot_both_win(app, test_settings, monkeypatch):
    """Each plan's check finds the leader free; the booking lock makes the second check wait for
    the first plan's commit, so it sees the clash. Without the lock both would be saved."""
    import threading
    import time
    import uuid

    from sqlalchemy import create_engine, delete
    from sqlalchemy.orm import Session

    from core.audit.models import AuditEvent
    from core.auth import services as auth_services
    from core.auth.models import User
    from core.tenants.models import Tenant, TenantKind
    from core.tenants.services import enable_plugin
    from plugins.vip.models import TrainedLeader
    from plugins.vip.services import groups as group_services
    from plugins.vip.services import register
    from core.testing.database import require_postgresql

    require_postgresql()
    engine = create_engine(test_settings.database_url)
    token = uuid.uuid4().hex[:8]
    with Session(engine, expire_on_commit=False) as session:
        tenant = Tenant(slug=f"race-{token}", name="Race", kind=TenantKind.municipality, country="SE", languages=["sv"])
        users = [User(email=f"race-{token}-{n}@example.org", name=f"Racer {n}") for n in range(3)]
        session.add_all([tenant, *users])
        session.commit()
        for user in users:
            auth_services.grant(session, user, tenant, "vip.leader")
            register.enter(session, email=user.email, trained_on=date(2024, 1, 1))
        session.commit()
        with tenant_scope(tenant.id):
            enable_plugin(session, app.extensions["samverka"].registry, tenant, "vip", {})
            groups = [group_services.form_group(session, name=f"Group {n}", audience="women", location=f"Room {n}",
                                                leader_ids=[users[0].id, users[n + 1].id]) for n in range(2)]
            session.commit()
            group_ids = [g.id for g in groups]

    real = meeting_services.find_clashes

    def slow_check(*args, **kwargs):
        found = real(*args, **kwargs)
        time.sleep(0.3)  # the other plan reaches its check meanwhile
        return found

    monkeypatch.setattr(meeting_services, "find_clashes", slow_check)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def plan(group_id):
        with Session(engine) as session, tenant_scope(tenant.id):
            start.wait()
            try:
                meeting_services.generate_meetings(session, session.get(Group, group_id), first_start=FIRST)
                session.commit()
                outcomes.append("planned")
            except GroupError as exc:
                session.rollback()
                outcomes.append("conflict" if exc.conflict and "Racer 0 leads another" in str(exc) else repr(exc))

    try:
        threads = [threading.Thread(target=plan, args=(group_id,)) for group_id in group_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes) == ["conflict", "planned"]
        with Session(engine) as session, tenant_scope(tenant.id):
            assert session.scalar(select(func.count(Meeting.id))) == 12
    finally:
        # The audit log is append-only for the application: the owner role clears the race's tenant.
        owner = create_engine(test_settings.migration_database_url)
        with Session(owner) as session:
            with tenant_scope(tenant.id):
                session.execute(delete(AuditEvent).where(AuditEvent.tenant_id == tenant.id))
                session.execute(delete(Tenant).where(Tenant.id == tenant.id))  # cascades to its rows
                session.commit()
            session.execute(delete(TrainedLeader).where(TrainedLeader.email_digest.in_(
                [register.email_digest(u.email) for u in users])))
            session.execute(delete(AuditEvent).where(AuditEvent.tenant_id.is_(None),
                                                     AuditEvent.user_id.in_([u.id for u in users])))
            session.execute(delete(User).where(User.id.in_([u.id for u in users])))
            session.commit()
        owner.dispose()
        engine.dispose()


# Titles in the reader's language (#7 item 21)

def test_hook_session_titles_word_vip_meetings_in_the_readers_language(app, client, db_session, vip_tenant, leaders,
                                                                       group, make_user):
    tenant_id = vip_tenant.id
    generate(db_session, vip_tenant, group)
    meeting = reload(db_session, vip_tenant, group.id).meetings[2]
    assert meeting.session.title == "Women, spring #3"
    staff = make_user(("staff", vip_tenant), ("vip.coordinator", vip_tenant))
    login_en(client, staff)
    english = client.get(f"/t/{vip_tenant.slug}/sessions/{meeting.session_id}").text
    assert "Women, spring: meeting 3 – Relationships" in english
    api = client.get(f"/api/v1/t/{vip_tenant.slug}/sessions/{meeting.session_id}").json
    assert api["title"] == "Women, spring: meeting 3 – Relationships"
    assert client.get(f"/api/v1/t/{vip_tenant.slug}/vip/meetings/{meeting.id}").json["title"] == api["title"]
    with client.session_transaction() as browser:
        browser["language"] = "sv"
    swedish = client.get(f"/t/{vip_tenant.slug}/sessions/").text
    assert "Women, spring: träff 3 – Relationer" in swedish
    with app.test_request_context(), tenant_scope(tenant_id):
        assert meeting_services.session_titles(db_session, [meeting.session], "sv") == {
            meeting.session_id: "Women, spring: träff 3 – Relationer"}
        assert meeting_services.session_titles(db_session, [meeting.session], "en") == {
            meeting.session_id: "Women, spring: meeting 3 – Relationships"}


def test_a_feed_titles_vip_meetings_in_the_tenants_language(client, db_session, vip_tenant, leaders, group,
                                                            make_user):
    generate(db_session, vip_tenant, group, first=utcnow() + timedelta(days=1))
    login_en(client, make_user(("tenant_admin", vip_tenant)))
    url = client.post(f"/api/v1/t/{vip_tenant.slug}/calendar-feeds", json={"label": "VIP", "plugin": "vip"}).json["url"]
    client.post("/logout")
    ics = client.get(url.split("localhost", 1)[-1]).text
    assert "SUMMARY:Women\\, spring: träff 1 – Känslor" in ics  # Swedish, the tenant's first language
