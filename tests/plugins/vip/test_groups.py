"""VIP groups: forming with trained leaders only, changing, cancelling, statuses, completion; the staff pages."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db import tenant_scope, utcnow
from core.sessions.models import AttendanceStatus, ScheduledSession
from core.sessions.services import create_session
from plugins.vip.models import Application, ApplicationStatus, Channel, ContactVia, Group, GroupStatus
from plugins.vip.services import groups as group_services
from plugins.vip.services import meetings as meeting_services
from plugins.vip.services import register
from plugins.vip.services.group_errors import GroupError
from plugins.vip.services.ranking import initial_rank
from core.testing.app import login

#: A Tuesday in May 2031, 13:00 in Stockholm (summer time).
FIRST = datetime(2031, 5, 6, 11, 0, tzinfo=timezone.utc)


# Helpers the other VIP group tests import.

def trained(db_session, make_user, tenant, name: str, role: str = "vip.leader", on: date = date(2024, 3, 1)):
    """A staff user of ``tenant`` who is in the national register of trained leaders."""
    user = make_user((role, tenant), name=name)
    register.enter(db_session, email=user.email, trained_on=on)
    db_session.commit()
    return user


def form(db_session, tenant, leaders, *, name="Women, spring", audience="women", location="Room A", **kwargs) -> Group:
    with tenant_scope(tenant.id):
        group = group_services.form_group(db_session, name=name, audience=audience, location=location,
                                          leader_ids=[u.id for u in leaders], **kwargs)
        db_session.commit()
        db_session.refresh(group)  # loaded inside the tenant: row-level security hides it outside
    return group


def place(db_session, make_person, tenant, group, *, contact_via=ContactVia.self, contact_email=None,
          consent=True, **person):
    """A person placed in ``group`` (as services/offers.place leaves them), with VIP consent."""
    from core.people.services import add_consent

    person = make_person(tenant, **person)
    applied = utcnow() - timedelta(days=30)
    with tenant_scope(tenant.id):
        db_session.add(Application(
            person_id=person.id, audience=group.audience, channel=Channel.paper, contact_via=contact_via,
            contact_email=contact_email, status=ApplicationStatus.placed, group_id=group.id, placed_at=utcnow(),
            applied_at=applied, queue_rank=initial_rank(False, applied)))
        if consent:
            add_consent(db_session, person, purpose="VIP course", given_by="self",
                        given_on=date.today() - timedelta(days=30), plugin="vip")
        db_session.commit()
    return person


def offer(db_session, make_person, tenant, group):
    """An application with an open offer of a place in ``group``: (application id, offer id)."""
    from plugins.vip.models import Offer

    person = make_person(tenant)
    applied = utcnow() - timedelta(days=3)
    with tenant_scope(tenant.id):
        application = Application(person_id=person.id, audience=group.audience, channel=Channel.web,
                                  contact_via=ContactVia.self, status=ApplicationStatus.offered, applied_at=applied,
                                  queue_rank=initial_rank(False, applied))
        db_session.add(application)
        db_session.flush()
        made = Offer(application_id=application.id, group_id=group.id, expires_at=utcnow() + timedelta(days=7))
        db_session.add(made)
        db_session.commit()
        return application.id, made.id


def join_meetings(db_session, tenant, group, person, status=None):
    """Add a person placed after the meetings were generated to them (as services/offers.place does)."""
    from core.sessions.models import Attendance

    with tenant_scope(tenant.id):
        for meeting in reload(db_session, tenant, group.id).meetings:
            db_session.add(Attendance(session_id=meeting.session_id, person_id=person.id, status=status))
        db_session.commit()


def generate(db_session, tenant, group, first=FIRST, **kwargs):
    with tenant_scope(tenant.id):
        group = db_session.get(Group, group.id)
        meetings = meeting_services.generate_meetings(db_session, group, first_start=first, **kwargs)
        db_session.commit()
        return [m.id for m in meetings]


def reload(db_session, tenant, group_id):
    with tenant_scope(tenant.id):
        db_session.expire_all()
        return group_services.get_group(db_session, group_id)


def login_en(client, user):
    """Sign in and read the pages in English (the tenant's first language is Swedish)."""
    return login(client, user, language="en")


@pytest.fixture
def leaders(trained_leaders):
    return trained_leaders


# Forming a group

def test_a_group_gets_its_capacity_from_the_settings_and_its_trained_leaders(db_session, make_vip_tenant, make_user):
    tenant = make_vip_tenant(participants_per_group=8)
    a, b = trained(db_session, make_user, tenant, "Anna Berg"), trained(db_session, make_user, tenant, "Bo Ek")
    group = form(db_session, tenant, [a, b], location="  Room A  ")
    group = reload(db_session, tenant, group.id)
    assert (group.capacity, group.status, group.location) == (8, GroupStatus.planned, "Room A")
    assert sorted(gl.user_id for gl in group.leaders) == sorted([a.id, b.id])
    with tenant_scope(tenant.id):
        event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "vip.group.form"))
    assert event.object_id == str(group.id) and "Anna" not in str(event.detail)


@pytest.mark.parametrize("count", [1, 3])
def test_exactly_the_configured_number_of_leaders(db_session, vip_tenant, make_user, count):
    users = [trained(db_session, make_user, vip_tenant, f"Leader {n}") for n in range(count)]
    with pytest.raises(GroupError) as refused:
        form(db_session, vip_tenant, users)
    assert refused.value.errors["leader_ids"] == ["Choose exactly 2 leaders."]


def test_one_leader_when_the_tenant_says_one(db_session, make_vip_tenant, make_user):
    tenant = make_vip_tenant(leaders_per_group=1)
    group = form(db_session, tenant, [trained(db_session, make_user, tenant, "Solo")])
    assert len(reload(db_session, tenant, group.id).leaders) == 1


def test_a_leader_chosen_twice_is_refused(db_session, vip_tenant, leaders):
    with pytest.raises(GroupError) as refused:
        form(db_session, vip_tenant, [leaders[0], leaders[0]])
    assert "Each leader can be chosen only once." in refused.value.errors["leader_ids"]


def test_an_untrained_staff_member_is_refused_by_name(db_session, vip_tenant, leaders, make_user):
    untrained = make_user(("vip.leader", vip_tenant), name="Ulla Untrained")
    with pytest.raises(GroupError) as refused:
        form(db_session, vip_tenant, [leaders[0], untrained])
    assert refused.value.errors == {"leader_ids": ["Ulla Untrained is not a trained VIP group leader."]}
    assert not refused.value.conflict


def test_a_trained_leader_of_another_tenant_is_refused_without_their_name(db_session, vip_tenant, leaders, make_user,
                                                                           make_vip_tenant):
    other = trained(db_session, make_user, make_vip_tenant(), "Olga Elsewhere")
    with pytest.raises(GroupError) as refused:
        form(db_session, vip_tenant, [leaders[0], other])
    [message] = refused.value.errors["leader_ids"]
    assert message == f"User {other.id} is not staff of this organisation." and "Olga" not in message


def test_a_trained_user_with_no_role_anywhere_is_refused(db_session, vip_tenant, leaders, make_user):
    loner = make_user(name="Lone Wolf")
    register.enter(db_session, email=loner.email, trained_on=date(2024, 1, 1))
    with pytest.raises(GroupError) as refused:
        form(db_session, vip_tenant, [leaders[0], loner])
    assert "not staff of this organisation" in refused.value.errors["leader_ids"][0]


def test_any_staff_role_may_lead_when_trained(db_session, vip_tenant, leaders, make_user):
    coordinator = trained(db_session, make_user, vip_tenant, "Cora Coordinator", role="vip.coordinator")
    group = form(db_session, vip_tenant, [leaders[0], coordinator])
    assert group.id


@pytest.mark.parametrize(("audience", "ok"), [("women", True), ("men", True), ("mixed", False), ("nobody", False)])
def test_the_audience_is_one_of_the_tenants(db_session, vip_tenant, leaders, audience, ok):
    if ok:
        assert form(db_session, vip_tenant, leaders, audience=audience).audience == audience
    else:
        with pytest.raises(GroupError) as refused:
            form(db_session, vip_tenant, leaders, audience=audience)
        assert list(refused.value.errors) == ["audience"]


def test_a_tenants_own_audience(db_session, make_vip_tenant, make_user):
    tenant = make_vip_tenant(audiences=["young_women", "young_men"])
    users = [trained(db_session, make_user, tenant, f"L{n}") for n in (1, 2)]
    assert form(db_session, tenant, users, audience="young_women").audience == "young_women"
    with pytest.raises(GroupError):
        form(db_session, tenant, users, audience="women")


def test_a_name_is_needed_and_every_error_comes_at_once(db_session, vip_tenant, leaders):
    with pytest.raises(GroupError) as refused:
        form(db_session, vip_tenant, leaders[:1], name="  ", audience="x", location="r" * 301)
    assert set(refused.value.errors) == {"name", "audience", "location", "leader_ids"}


# Changing and cancelling

@pytest.fixture
def running_group(db_session, vip_tenant, leaders):
    """A group whose first four meetings are over (12 weekly meetings, the fifth next)."""
    group = form(db_session, vip_tenant, leaders)
    generate(db_session, vip_tenant, group, first=utcnow().replace(microsecond=0) - timedelta(days=27, hours=20))
    return reload(db_session, vip_tenant, group.id)


def _sessions(db_session, tenant, group):
    return [m.session for m in reload(db_session, tenant, group.id).meetings]


def test_new_leaders_take_over_the_meetings_still_to_come(db_session, vip_tenant, leaders, make_user, running_group):
    third = trained(db_session, make_user, vip_tenant, "Tova Third")
    with tenant_scope(vip_tenant.id):
        group_services.update_group(db_session, running_group, leader_ids=[leaders[0].id, third.id])
        db_session.commit()
    group = reload(db_session, vip_tenant, running_group.id)
    assert sorted(gl.user_id for gl in group.leaders) == sorted([leaders[0].id, third.id])
    past, future = [m.session for m in group.meetings[:4]], [m.session for m in group.meetings[4:]]
    assert all(sorted(sl.user_id for sl in s.leaders) == sorted([leaders[0].id, third.id]) for s in future)
    assert all(sorted(sl.user_id for sl in s.leaders) == sorted(u.id for u in leaders) for s in past)


def test_new_leaders_follow_the_same_rules(db_session, vip_tenant, leaders, make_user, running_group):
    untrained = make_user(("vip.leader", vip_tenant), name="Ulla Untrained")
    with tenant_scope(vip_tenant.id), pytest.raises(GroupError) as refused:
        group_services.update_group(db_session, running_group, leader_ids=[leaders[0].id, untrained.id])
    assert refused.value.errors == {"leader_ids": ["Ulla Untrained is not a trained VIP group leader."]}


def test_a_new_leader_busy_at_a_coming_meeting_is_refused(db_session, vip_tenant, leaders, make_user, running_group):
    busy = trained(db_session, make_user, vip_tenant, "Berit Busy")
    meeting = running_group.meetings[6]
    with tenant_scope(vip_tenant.id):
        create_session(db_session, {"plugin": "core", "kind": "meeting", "title": "Supervision",
                                    "starts_at": meeting.session.starts_at + timedelta(minutes=30),
                                    "ends_at": meeting.session.ends_at + timedelta(hours=1)}, leader_ids=[busy.id])
        db_session.commit()
        with pytest.raises(GroupError) as refused:
            group_services.update_group(db_session, running_group, leader_ids=[leaders[0].id, busy.id])
    assert refused.value.conflict
    [message] = refused.value.errors["leader_ids"]
    assert message.startswith("Meeting 7 (") and "Berit Busy leads another session" in message
    assert "Supervision" not in message


def test_rename_retitles_the_meetings_and_a_new_room_moves_the_coming_ones(db_session, vip_tenant, running_group):
    with tenant_scope(vip_tenant.id):
        group_services.update_group(db_session, running_group, name="Tuesday women", location="Room B")
        db_session.commit()
    sessions = _sessions(db_session, vip_tenant, running_group)
    assert sessions[0].title == "Tuesday women #1"
    assert [s.location for s in sessions] == ["Room A"] * 4 + ["Room B"] * 8


def test_a_new_room_booked_at_a_coming_meeting_is_refused(db_session, vip_tenant, running_group, make_user):
    meeting = running_group.meetings[11]
    with tenant_scope(vip_tenant.id):
        create_session(db_session, {"plugin": "core", "kind": "meeting", "title": "Choir", "location": "ROOM B ",
                                    "starts_at": meeting.session.starts_at, "ends_at": meeting.session.ends_at})
        db_session.commit()
        with pytest.raises(GroupError) as refused:
            group_services.update_group(db_session, running_group, location="Room B")
    assert refused.value.conflict and refused.value.errors["location"][0].startswith("Meeting 12 (")


def test_cancelling_cancels_the_coming_meetings_only(db_session, vip_tenant, running_group):
    with tenant_scope(vip_tenant.id):
        group_services.cancel_group(db_session, running_group)
        db_session.commit()
    group = reload(db_session, vip_tenant, running_group.id)
    assert group.status == GroupStatus.cancelled
    assert [m.session.cancelled for m in group.meetings] == [False] * 4 + [True] * 8
    with tenant_scope(vip_tenant.id), pytest.raises(GroupError) as refused:
        group_services.update_group(db_session, group, name="Again")
    assert refused.value.conflict


def test_cancelling_withdraws_the_open_offers_of_places(db_session, vip_tenant, leaders, make_person):
    from core.toolkit import OfferStatus

    group = form(db_session, vip_tenant, leaders)
    application, offer_id = offer(db_session, make_person, vip_tenant, group)
    with tenant_scope(vip_tenant.id):
        group_services.cancel_group(db_session, db_session.get(Group, group.id))
        db_session.commit()
        from plugins.vip.models import Offer

        db_session.expire_all()
        assert db_session.get(Offer, offer_id).status == OfferStatus.withdrawn
        assert db_session.get(Application, application).status == ApplicationStatus.waiting
        event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "vip.group.cancel"))
        assert event.detail == {"meetings_cancelled": 0, "offers_withdrawn": 1}


def test_cancelling_puts_the_participants_back_in_line_in_their_old_place(db_session, vip_tenant, leaders,
                                                                         make_person):
    group = form(db_session, vip_tenant, leaders)
    person = place(db_session, make_person, vip_tenant, group)
    with tenant_scope(vip_tenant.id):
        application = db_session.scalar(select(Application).where(Application.person_id == person.id))
        rank = application.queue_rank
        group_services.cancel_group(db_session, db_session.get(Group, group.id))
        db_session.commit()
        db_session.expire_all()
        application = db_session.get(Application, application.id)
        assert (application.status, application.group_id, application.placed_at) == (ApplicationStatus.waiting,
                                                                                      None, None)
        assert application.queue_rank == rank
        event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "vip.application.back_in_line"))
        assert event.object_id == str(application.id) and event.detail["why"] == "group_cancelled"


def test_a_finished_group_cannot_be_cancelled(db_session, vip_tenant, leaders):
    group = form(db_session, vip_tenant, leaders)
    with tenant_scope(vip_tenant.id):
        group = db_session.get(Group, group.id)
        group.status = GroupStatus.finished
        with pytest.raises(GroupError) as refused:
            group_services.cancel_group(db_session, group)
    assert refused.value.conflict and "finished" in refused.value.errors["status"][0]


# Statuses

def test_statuses_advance_with_the_meetings_and_the_job_is_idempotent(db_session, vip_tenant, leaders):
    group = form(db_session, vip_tenant, leaders)
    empty_id = form(db_session, vip_tenant, leaders, name="No meetings yet").id
    generate(db_session, vip_tenant, group)
    last_end = FIRST + timedelta(weeks=11, minutes=120)

    def advance(now):
        with tenant_scope(vip_tenant.id):
            changed = group_services.advance_statuses(db_session, vip_tenant, now)
            db_session.commit()
            return changed, reload(db_session, vip_tenant, group.id).status

    assert advance(FIRST - timedelta(minutes=1)) == (0, GroupStatus.planned)
    assert advance(FIRST) == (1, GroupStatus.running)
    assert advance(FIRST + timedelta(days=1)) == (0, GroupStatus.running)
    assert advance(last_end - timedelta(seconds=1)) == (0, GroupStatus.running)
    assert advance(last_end) == (1, GroupStatus.finished)
    assert advance(last_end + timedelta(days=1)) == (0, GroupStatus.finished)
    assert reload(db_session, vip_tenant, empty_id).status == GroupStatus.planned


def test_a_late_job_takes_a_planned_group_straight_to_finished(db_session, vip_tenant, leaders):
    group = form(db_session, vip_tenant, leaders)
    generate(db_session, vip_tenant, group)
    with tenant_scope(vip_tenant.id):
        assert group_services.advance_statuses(db_session, vip_tenant, FIRST + timedelta(weeks=20)) == 1
    assert reload(db_session, vip_tenant, group.id).status == GroupStatus.finished


def test_cancelled_meetings_do_not_count_for_the_status(db_session, vip_tenant, leaders):
    group = form(db_session, vip_tenant, leaders)
    generate(db_session, vip_tenant, group)
    with tenant_scope(vip_tenant.id):
        last = reload(db_session, vip_tenant, group.id).meetings[-1]
        last.session.cancelled = True
        db_session.commit()
        group_services.advance_statuses(db_session, vip_tenant, FIRST + timedelta(weeks=10, hours=3))
        db_session.commit()
    assert reload(db_session, vip_tenant, group.id).status == GroupStatus.finished


def test_the_status_job_runs_through_the_due_jobs(db_session, app, vip_tenant, leaders, smtp):
    from core.jobs.mail import SmtpSender
    from core.jobs.services import run_due_jobs

    group = form(db_session, vip_tenant, leaders)
    generate(db_session, vip_tenant, group)
    run_due_jobs(db_session, app.extensions["samverka"], FIRST + timedelta(hours=1),
                 sender=SmtpSender(host=smtp.host, port=smtp.port, mail_from="a@example.org", timeout=5))
    assert reload(db_session, vip_tenant, group.id).status == GroupStatus.running


# Completion

#: After the course of the tests (12 weekly meetings from FIRST).
LATER = FIRST + timedelta(weeks=20)


def _attend(db_session, tenant, group, person, present: int, absent: int = 0):
    group = reload(db_session, tenant, group.id)
    with tenant_scope(tenant.id):
        for i, meeting in enumerate(group.meetings):
            status = (AttendanceStatus.present if i < present else
                      AttendanceStatus.absent if i < present + absent else AttendanceStatus.absent_with_notice)
            loaded = meeting_services.get_meeting(db_session, meeting.id)
            meeting_services.record(db_session, loaded, {person.id: status}, now=LATER)
        db_session.commit()


def test_completion_counts_present_against_the_setting(db_session, vip_tenant, leaders, make_person):
    group = form(db_session, vip_tenant, leaders)
    nine, eight, none = (place(db_session, make_person, vip_tenant, group) for _ in range(3))
    generate(db_session, vip_tenant, group)
    _attend(db_session, vip_tenant, group, nine, 9, 3)
    _attend(db_session, vip_tenant, group, eight, 8, 1)
    with tenant_scope(vip_tenant.id):
        result = group_services.completion(db_session, db_session.get(Group, group.id), now=LATER)
    assert result == {nine.id: (9, True), eight.id: (8, False), none.id: (0, False)}


def test_meetings_still_to_come_never_count_toward_completion(db_session, vip_tenant, leaders, make_person):
    """#7 item 12: present at nine meetings, recorded; counted only once each has begun."""
    group = form(db_session, vip_tenant, leaders)
    nine = place(db_session, make_person, vip_tenant, group)
    generate(db_session, vip_tenant, group)
    _attend(db_session, vip_tenant, group, nine, 9, 3)
    with tenant_scope(vip_tenant.id):
        loaded = db_session.get(Group, group.id)
        assert group_services.completion(db_session, loaded, now=LATER) == {nine.id: (9, True)}
        during = FIRST + timedelta(weeks=8, hours=3)  # meeting 9 is over, meeting 10 not begun
        assert group_services.completion(db_session, loaded, now=during) == {nine.id: (9, True)}
        assert group_services.completion(db_session, loaded, now=during - timedelta(weeks=1)) == {nine.id: (8, False)}


def test_completion_follows_the_tenants_setting(db_session, make_vip_tenant, make_user, make_person):
    tenant = make_vip_tenant(completion_meetings=8)
    users = [trained(db_session, make_user, tenant, f"L{n}") for n in (1, 2)]
    group = form(db_session, tenant, users)
    eight = place(db_session, make_person, tenant, group)
    generate(db_session, tenant, group)
    _attend(db_session, tenant, group, eight, 8)
    with tenant_scope(tenant.id):
        assert group_services.completion(db_session, db_session.get(Group, group.id), now=LATER) == {
            eight.id: (8, True)}


def test_completion_runs_constant_queries(db_session, vip_tenant, leaders, make_person, query_counter):
    group = form(db_session, vip_tenant, leaders)
    first = place(db_session, make_person, vip_tenant, group)
    generate(db_session, vip_tenant, group)
    _attend(db_session, vip_tenant, group, first, 3)

    def count():
        with tenant_scope(vip_tenant.id), query_counter.counting() as counted:
            db_session.expire_all()
            group_services.completion(db_session, db_session.get(Group, group.id), now=LATER)
        return counted.count

    before = count()
    for _ in range(4):
        join_meetings(db_session, vip_tenant, group, place(db_session, make_person, vip_tenant, group),
                      AttendanceStatus.present)
    assert count() == before


# Pages

@pytest.fixture
def staff(client, coordinator, vip_tenant, leaders):
    login_en(client, coordinator)
    return client, vip_tenant, f"/t/{vip_tenant.slug}/vip"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.text)


def test_the_groups_list(staff, db_session, make_person, leaders):
    client, tenant, base = staff
    group = form(db_session, tenant, leaders, name="Women, autumn")
    place(db_session, make_person, tenant, group)
    offer(db_session, make_person, tenant, group)
    generate(db_session, tenant, group, first=datetime(2031, 1, 14, 12, 0, tzinfo=timezone.utc))
    page = _text(client.get(f"{base}/groups/"))
    assert "Women, autumn" in page and "Women" in page and "Leader 1" in page and "Leader 2" in page
    assert "1 of 6" in page and "1 place offered" in page
    assert "2031-01-14 13:00" in page  # the next meeting, on the Stockholm clock (winter time)
    assert "Women, autumn" not in _text(client.get(f"{base}/groups/?status=finished"))
    assert "Women, autumn" not in _text(client.get(f"{base}/groups/?audience=men"))
    assert client.get(f"{base}/groups/?status=nonsense&audience=<x>").status_code == 200


def test_the_groups_list_and_the_form_run_constant_queries(staff, db_session, make_person, make_user, query_counter,
                                                            leaders):
    client, tenant, base = staff
    first = form(db_session, tenant, leaders)
    place(db_session, make_person, tenant, first)

    def grow():
        for n in range(5):
            group = form(db_session, tenant, leaders, name=f"Group {n}", location=f"Room {n}")
            place(db_session, make_person, tenant, group)
            generate(db_session, tenant, group, first=FIRST + timedelta(hours=3 * n))
            trained(db_session, make_user, tenant, f"New leader {n}")
            make_user(("vip.coordinator", tenant), name=f"Untrained {n}")

    query_counter.assert_constant(client, [f"{base}/groups/", f"{base}/groups/new"], grow)


def test_the_form_shows_who_is_trained(staff, db_session, make_user):
    client, tenant, base = staff
    make_user(("vip.leader", tenant), name="Ulla Untrained")
    page = _text(client.get(f"{base}/groups/new"))
    assert re.search(r"Leader 1</label> <span [^>]*>Trained 2024-03-01</span>", page)
    assert re.search(r"Ulla Untrained</label> <span [^>]*>Not trained</span>", page)
    assert "Vera Coordinator</label>" in page  # every staff member is listed, trained or not


def test_the_form_refuses_an_untrained_leader_and_keeps_what_was_typed(staff, db_session, make_user, leaders):
    client, tenant, base = staff
    untrained = make_user(("vip.leader", tenant), name="Ulla Untrained")
    response = client.post(f"{base}/groups/new", data={"name": "Women, spring", "audience": "women",
                                                       "location": "Room A",
                                                       "leader_ids": [str(leaders[0].id), str(untrained.id)]})
    assert response.status_code == 422
    page = _text(response)
    assert 'value="Women, spring"' in page and 'value="Room A"' in page and '<option value="women" selected>' in page
    assert f'id="leader-{untrained.id}" name="leader_ids" value="{untrained.id}" checked' in page
    assert 'id="leader_ids-error"' in page and "Ulla Untrained is not a trained VIP group leader." in page


def test_the_form_refuses_a_name_with_a_direction_override_and_keeps_what_was_typed(staff, db_session, leaders):
    client, tenant, base = staff
    response = client.post(f"{base}/groups/new", data={"name": "Women\u202egnirps", "audience": "women",
                                                       "location": "Room\tA", "leader_ids": [str(u.id) for u in leaders]})
    assert response.status_code == 422
    page = _text(response)
    assert 'id="name-error"' in page and 'id="location-error"' in page and "Women\u202egnirps" in page


def test_the_form_forms_a_group(staff, db_session, leaders):
    client, tenant, base = staff
    response = client.post(f"{base}/groups/new", data={"name": "Men, spring", "audience": "men", "location": "Room C",
                                                       "leader_ids": [str(u.id) for u in leaders]})
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "<h1>Men, spring</h1>" in page and "Leader 1 — Trained 2024-03-01" in page
    assert "The meetings are not planned yet." in page and 'name="first_date"' in page


def test_generating_meetings_from_the_group_page(staff, db_session, leaders, make_person):
    client, tenant, base = staff
    group = form(db_session, tenant, leaders)
    person = place(db_session, make_person, tenant, group, first_name="Sara", last_name="Lind")
    bad = client.post(f"{base}/groups/{group.id}/meetings", data={"first_date": "2031-13-01", "first_time": "25:00",
                                                                  "every_days": "0", "location": "Room A"})
    assert bad.status_code == 422
    page = _text(bad)
    assert 'id="first_date-error"' in page and 'id="first_time-error"' in page and 'value="2031-13-01"' in page
    ok = client.post(f"{base}/groups/{group.id}/meetings", data={"first_date": "2031-05-06", "first_time": "13:00",
                                                                 "every_days": "7", "location": "Room A",
                                                                 "skip_dates": "2031-05-13"})
    assert ok.status_code == 302
    page = _text(client.get(f"{base}/groups/{group.id}"))
    assert "<td>2031-05-06</td> <td>13:00–15:00</td> <td>Room A</td> <td>Emotions</td>" in page
    assert "<td>2031-05-20</td>" in page and "<td>2031-05-13</td>" not in page  # the skipped date
    assert "Sara Lind" in page and "0 of 9 needed" in page
    assert reload(db_session, tenant, group.id).meetings[0].session.starts_at == FIRST
    again = client.post(f"{base}/groups/{group.id}/meetings", data={"first_date": "2031-05-06", "first_time": "13:00",
                                                                    "every_days": "7", "location": "Room A"})
    assert again.status_code == 409
    assert person.id


def test_a_double_booking_is_shown_on_the_group_page(staff, db_session, leaders):
    client, tenant, base = staff
    first, second = form(db_session, tenant, leaders), form(db_session, tenant, leaders, name="Men", audience="men",
                                                            location="Room B")
    generate(db_session, tenant, first)
    response = client.post(f"{base}/groups/{second.id}/meetings", data={
        "first_date": "2031-05-20", "first_time": "14:00", "every_days": "7", "location": "room a"})
    assert response.status_code == 409
    page = _text(response)
    assert "Meeting 1 (2031-05-20 14:00): Leader 1 leads another session at that time (13:00–15:00)." in page
    assert "Meeting 1 (2031-05-20 14:00): the room room a is booked" in page
    assert 'value="room a"' in page and reload(db_session, tenant, second.id).meetings == []


def test_the_group_page_runs_constant_queries(staff, db_session, leaders, make_person, query_counter):
    client, tenant, base = staff
    group = form(db_session, tenant, leaders)
    place(db_session, make_person, tenant, group)
    generate(db_session, tenant, group)
    meeting_id = reload(db_session, tenant, group.id).meetings[0].id

    def grow():
        for _ in range(5):
            join_meetings(db_session, tenant, group, place(db_session, make_person, tenant, group),
                          AttendanceStatus.present)

    query_counter.assert_constant(client, [f"{base}/groups/{group.id}", f"{base}/meetings/{meeting_id}"], grow)


def test_editing_and_cancelling_on_the_pages(staff, db_session, leaders, make_user):
    client, tenant, base = staff
    group = form(db_session, tenant, leaders)
    third = trained(db_session, make_user, tenant, "Tova Third")
    edit = _text(client.get(f"{base}/groups/{group.id}/edit"))
    assert f'value="{leaders[0].id}" checked' in edit and 'value="Women, spring"' in edit
    bad = client.post(f"{base}/groups/{group.id}/edit", data={"name": "", "location": "Room A",
                                                              "leader_ids": [str(leaders[0].id)]})
    assert bad.status_code == 422 and 'id="name-error"' in bad.text
    ok = client.post(f"{base}/groups/{group.id}/edit", data={"name": "Renamed", "location": "Room Z",
                                                             "leader_ids": [str(leaders[0].id), str(third.id)]})
    assert ok.status_code == 302
    page = _text(client.get(f"{base}/groups/{group.id}"))
    assert "<h1>Renamed</h1>" in page and "Tova Third" in page and "Room Z" in page
    unconfirmed = client.post(f"{base}/groups/{group.id}/cancel", data={})
    assert unconfirmed.status_code == 422 and "Tick the box to confirm." in unconfirmed.text
    assert client.post(f"{base}/groups/{group.id}/cancel", data={"confirm": "yes"}).status_code == 302
    assert reload(db_session, tenant, group.id).status == GroupStatus.cancelled
    assert "Cancel the group</button>" not in client.get(f"{base}/groups/{group.id}").text


def test_a_leader_sees_groups_but_cannot_form_or_change_them(client, db_session, vip_tenant, leaders):
    group = form(db_session, vip_tenant, leaders)
    login_en(client, leaders[0])
    base = f"/t/{vip_tenant.slug}/vip"
    assert client.get(f"{base}/groups/").status_code == 200
    page = client.get(f"{base}/groups/{group.id}").text
    assert "Form a group" not in page and 'name="first_date"' not in page
    assert client.get(f"{base}/groups/new").status_code == 403
    assert client.post(f"{base}/groups/{group.id}/meetings", data={}).status_code == 403
    assert client.post(f"{base}/groups/{group.id}/cancel", data={"confirm": "yes"}).status_code == 403


def test_another_tenants_group_is_not_found(staff, db_session, make_vip_tenant, make_user):
    client, _tenant, base = staff
    other = make_vip_tenant()
    theirs = form(db_session, other, [trained(db_session, make_user, other, f"O{n}") for n in (1, 2)])
    assert client.get(f"{base}/groups/{theirs.id}").status_code == 404
    assert client.get(f"{base}/groups/{theirs.id}/edit").status_code == 404
    assert client.post(f"{base}/groups/{theirs.id}/cancel", data={"confirm": "yes"}).status_code == 404


def test_own_group_is_found(staff, db_session, leaders):
    client, tenant, base = staff
    assert client.get(f"{base}/groups/{form(db_session, tenant, leaders).id}").status_code == 200


def test_unrelated_sessions_are_untouched(db_session, vip_tenant, leaders):
    with tenant_scope(vip_tenant.id):
        other = create_session(db_session, {"plugin": "core", "kind": "meeting", "title": "Other",
                                            "starts_at": FIRST - timedelta(days=1),
                                            "ends_at": FIRST - timedelta(days=1) + timedelta(hours=1)})
        db_session.commit()
    group = form(db_session, vip_tenant, leaders)
    generate(db_session, vip_tenant, group)
    with tenant_scope(vip_tenant.id):
        group_services.cancel_group(db_session, db_session.get(Group, group.id), now=FIRST - timedelta(days=2))
        db_session.commit()
        assert db_session.get(ScheduledSession, other.id).cancelled is False
