"""The waitlists: their order, manual moves with reasons, and the staff pages that show and change them."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db import tenant_scope
from core.sessions.models import ScheduledSession
from plugins.vip.models import (
    Application,
    ApplicationStatus,
    Channel,
    ContactVia,
    Group,
    GroupStatus,
    Meeting,
    WaitlistMove,
)
from plugins.vip.services import offers, waitlist
from plugins.vip.services.ranking import initial_rank
from core.testing.app import login

#: Application dates start here; ``days`` counts from it.
BASE = datetime(2031, 1, 10, 9, 0, tzinfo=timezone.utc)
#: A moment after every application date, before every meeting.
NOW = datetime(2031, 2, 1, 12, 0, tzinfo=timezone.utc)


# -- helpers shared by the waitlist and offer tests ----------------------------------------------


def apply(db_session, make_person, tenant, *, audience="women", taken_before=False, days=0, applied_at=None,
          first_name=None, last_name="Testsson", email="applicant@example.org", contact_via=ContactVia.self,
          contact_email=None, preferred_language=None) -> Application:
    """An application as the applications service leaves it: waiting, ranked by the two rules."""
    data = {"last_name": last_name, "email": email, "preferred_language": preferred_language}
    if first_name:
        data["first_name"] = first_name
    person = make_person(tenant, **{k: v for k, v in data.items() if v is not None})
    applied_at = applied_at or BASE + timedelta(days=days)
    with tenant_scope(tenant.id):
        application = Application(person_id=person.id, audience=audience, channel=Channel.web, contact_via=contact_via,
                                  contact_email=contact_email, contact_name="Carl Contact" if contact_email else None,
                                  taken_before=taken_before, applied_at=applied_at,
                                  queue_rank=initial_rank(taken_before, applied_at))
        db_session.add(application)
        db_session.commit()
    return application


def make_group(db_session, tenant, *, audience="women", capacity=6, name="Tuesday group", location="Room 1",
               status=GroupStatus.planned, meetings=()) -> Group:
    """A group with a meeting (a core session) at each of ``meetings`` (start times)."""
    with tenant_scope(tenant.id):
        group = Group(name=name, audience=audience, capacity=capacity, location=location, status=status)
        db_session.add(group)
        db_session.flush()
        for number, starts in enumerate(meetings, start=1):
            scheduled = ScheduledSession(plugin="vip", kind="group_meeting", title=f"{name} {number}", starts_at=starts,
                                         ends_at=starts + timedelta(hours=2), location=f"{location} (meeting)",
                                         reference=f"vip_group:{group.id}")
            db_session.add(scheduled)
            db_session.flush()
            db_session.add(Meeting(group_id=group.id, session_id=scheduled.id, number=number, theme="Emotions"))
        db_session.commit()
    return group


@contextmanager
def working_in(app, tenant):
    """Inside a request (for url_for and the language) and the tenant, as a view calls services."""
    with app.test_request_context(), tenant_scope(tenant.id):
        yield


def login_en(client, user):
    """Sign in and read the pages in English (a VIP tenant's first language is Swedish)."""
    return login(client, user, language="en")


def line(db_session, tenant, audience="women") -> list[int]:
    with tenant_scope(tenant.id):
        return list(db_session.scalars(waitlist.waitlist(audience).with_only_columns(Application.id)))


def audit_events(db_session, tenant, action: str) -> list[AuditEvent]:
    with tenant_scope(tenant.id):
        return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# -- order ---------------------------------------------------------------------------------------


def test_first_timers_come_first_then_the_date_of_application(db_session, make_person, vip_tenant):
    returning_early = apply(db_session, make_person, vip_tenant, taken_before=True, days=0)
    first_late = apply(db_session, make_person, vip_tenant, days=20)
    first_early = apply(db_session, make_person, vip_tenant, days=1)
    returning_late = apply(db_session, make_person, vip_tenant, taken_before=True, days=30)
    apply(db_session, make_person, vip_tenant, audience="men", days=0)  # another waitlist

    assert line(db_session, vip_tenant) == [first_early.id, first_late.id, returning_early.id, returning_late.id]
    with tenant_scope(vip_tenant.id):
        assert waitlist.positions(db_session, "women") == {
            first_early.id: 1, first_late.id: 2, returning_early.id: 3, returning_late.id: 4}


def test_only_applications_in_line_are_on_the_waitlist(db_session, make_person, vip_tenant):
    waiting = apply(db_session, make_person, vip_tenant, days=2)
    offered = apply(db_session, make_person, vip_tenant, days=3)
    gone = [apply(db_session, make_person, vip_tenant, days=1) for _ in range(3)]
    with tenant_scope(vip_tenant.id):
        offered.status = ApplicationStatus.offered
        for application, status in zip(gone, (ApplicationStatus.placed, ApplicationStatus.closed,
                                              ApplicationStatus.withdrawn)):
            application.status = status
        db_session.commit()
    assert line(db_session, vip_tenant) == [waiting.id, offered.id]


def test_the_same_date_is_ordered_by_arrival(db_session, make_person, vip_tenant):
    same = [apply(db_session, make_person, vip_tenant, applied_at=BASE) for _ in range(3)]
    assert line(db_session, vip_tenant) == [a.id for a in same]


# -- moves ---------------------------------------------------------------------------------------


@pytest.fixture
def four(db_session, make_person, vip_tenant):
    return [apply(db_session, make_person, vip_tenant, days=n) for n in range(4)]


@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_a_move_needs_a_reason(app, db_session, vip_tenant, four, coordinator, reason):
    with working_in(app, vip_tenant):
        with pytest.raises(waitlist.WaitlistError) as raised:
            waitlist.move(db_session, four[3], 1, reason, coordinator)
        assert list(raised.value.errors) == ["reason"]
        assert "needs one" in str(raised.value.errors["reason"][0])
        assert db_session.scalars(select(WaitlistMove)).all() == []
    assert line(db_session, vip_tenant) == [a.id for a in four]


def test_a_move_is_logged_with_its_reason_and_audited_without_it(app, db_session, vip_tenant, four, coordinator):
    with working_in(app, vip_tenant):
        entry = waitlist.move(db_session, four[3], 1, "  Urgent: her home situation changed  ", coordinator)
        db_session.commit()
    assert line(db_session, vip_tenant) == [four[3].id, four[0].id, four[1].id, four[2].id]
    with tenant_scope(vip_tenant.id):
        stored = db_session.scalars(select(WaitlistMove)).one()
    assert (stored.id, stored.application_id, stored.from_position, stored.to_position, stored.reason, stored.moved_by) == (
        entry.id, four[3].id, 4, 1, "Urgent: her home situation changed", coordinator.id)
    [event] = audit_events(db_session, vip_tenant, "vip.waitlist.move")
    assert (event.object_type, event.object_id, event.user_id) == ("vip_application", str(four[3].id), None)
    assert event.detail == {"audience": "women", "from_position": 4, "to_position": 1, "move_id": entry.id}
    assert "home" not in str(event.detail)


@pytest.mark.parametrize(("index", "to", "expected"), [
    (0, 4, [1, 2, 3, 0]),  # to the bottom
    (3, 1, [3, 0, 1, 2]),  # to the top
    (0, 3, [1, 2, 0, 3]),  # down into the middle
    (3, 2, [0, 3, 1, 2]),  # up into the middle
    (1, 3, [0, 2, 1, 3]),  # one step down
])
def test_a_move_lands_exactly_at_the_new_position(app, db_session, vip_tenant, four, index, to, expected):
    with working_in(app, vip_tenant):
        entry = waitlist.move(db_session, four[index], to, "Agreed with the team", None)
        db_session.commit()
    assert (entry.from_position, entry.to_position, entry.moved_by) == (index + 1, to, None)
    assert line(db_session, vip_tenant) == [four[n].id for n in expected]


def test_new_arrivals_still_fall_into_place_by_the_two_rules(app, db_session, make_person, vip_tenant, four):
    returning = apply(db_session, make_person, vip_tenant, taken_before=True, days=1)
    with working_in(app, vip_tenant):
        waitlist.move(db_session, returning, 1, "Was promised a place last year", None)
        waitlist.move(db_session, four[0], 4, "Cannot start before the summer", None)
        db_session.commit()
    assert line(db_session, vip_tenant) == [returning.id, four[1].id, four[2].id, four[0].id, four[3].id]

    new_first_timer = apply(db_session, make_person, vip_tenant, days=10)
    new_returning = apply(db_session, make_person, vip_tenant, taken_before=True, days=10)
    assert line(db_session, vip_tenant) == [returning.id, four[1].id, four[2].id, four[0].id, four[3].id,
                                            new_first_timer.id, new_returning.id]


def test_moves_between_tied_ranks_and_many_moves_between_the_same_two_keep_exact_positions(
        app, db_session, make_person, vip_tenant):
    tied = [apply(db_session, make_person, vip_tenant, applied_at=BASE) for _ in range(5)]
    expected = [a.id for a in tied]
    with working_in(app, vip_tenant):
        # Back and forth between the same neighbours: midpoints run out of float precision.
        for n in range(80):
            source = 4 if n % 2 == 0 else 1
            target = 2 if n % 2 == 0 else 3
            mover = expected.pop(source)
            expected.insert(target, mover)
            application = next(a for a in tied if a.id == mover)
            entry = waitlist.move(db_session, application, target + 1, f"Shuffle {n}", None)
            assert (entry.from_position, entry.to_position) == (source + 1, target + 1)
            assert list(db_session.scalars(waitlist.waitlist("women").with_only_columns(Application.id))) == expected
        db_session.commit()
    assert line(db_session, vip_tenant) == expected


@pytest.mark.parametrize(("to", "field"), [(0, "to_position"), (5, "to_position"), (-1, "to_position"),
                                           (2, "to_position")])
def test_a_move_outside_the_line_or_to_the_same_place_is_refused(app, db_session, vip_tenant, four, to, field):
    with working_in(app, vip_tenant):
        with pytest.raises(waitlist.WaitlistError) as raised:
            waitlist.move(db_session, four[1], to, "A reason", None)
    assert list(raised.value.errors) == [field]


def test_an_application_out_of_line_cannot_be_moved(app, db_session, vip_tenant, four):
    with working_in(app, vip_tenant):
        four[0].status = ApplicationStatus.placed
        with pytest.raises(waitlist.WaitlistError) as raised:
            waitlist.move(db_session, four[0], 2, "A reason", None)
    assert list(raised.value.errors) == ["application_id"]


def test_a_move_on_the_waitlist_named_refuses_an_application_of_another(app, db_session, vip_tenant, four):
    with working_in(app, vip_tenant):
        with pytest.raises(waitlist.WaitlistError) as raised:
            waitlist.move(db_session, four[1], 1, "A reason", None, audience="men")
        assert raised.value.errors == {"application_id": ["The application is on another waitlist."]}
        assert waitlist.move(db_session, four[1], 1, "A reason", None, audience="women").to_position == 1


def test_a_reason_longer_than_the_column_is_refused(app, db_session, vip_tenant, four):
    with working_in(app, vip_tenant):
        with pytest.raises(waitlist.WaitlistError) as raised:
            waitlist.move(db_session, four[1], 1, "x" * 501, None)
    assert list(raised.value.errors) == ["reason"]


# -- the staff pages -----------------------------------------------------------------------------


def test_the_waitlist_page_shows_positions_first_timers_dates_status_and_the_open_offer(
        app, client, db_session, make_person, vip_tenant, coordinator):
    first = apply(db_session, make_person, vip_tenant, first_name="Alva", last_name="Ek", days=1)
    returning = apply(db_session, make_person, vip_tenant, first_name="Berit", last_name="Al", taken_before=True)
    men = apply(db_session, make_person, vip_tenant, first_name="Caesar", last_name="Ny", audience="men")
    group = make_group(db_session, vip_tenant, name="Onsdagsgruppen")
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, first, group, now=NOW)
        db_session.commit()
    login_en(client, coordinator)

    page = client.get(f"/t/{vip_tenant.slug}/vip/waitlist")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("Alva Ek") < html.index("Berit Al") and "Caesar Ny" not in html
    assert "First time" in html and "Offered a place" in html and "Onsdagsgruppen" in html
    assert f"/waitlist/offers/{offer.id}" in html and f"/waitlist/applications/{returning.id}/move" in html
    assert "2031-01-11" in html or "11 Jan 2031" in html or "Jan 11, 2031" in html

    men_page = client.get(f"/t/{vip_tenant.slug}/vip/waitlist/men").get_data(as_text=True)
    assert "Caesar Ny" in men_page and "Alva Ek" not in men_page and f"/applications/{men.id}/move" in men_page
    assert client.get(f"/t/{vip_tenant.slug}/vip/waitlist/young_men").status_code == 404
    assert client.get(f"/t/{vip_tenant.slug}/vip/waitlist/nonsense").status_code == 404


def test_a_leader_sees_the_waitlist_without_the_actions(client, db_session, make_person, make_user, vip_tenant):
    application = apply(db_session, make_person, vip_tenant, first_name="Alva", last_name="Ek")
    login_en(client, make_user(("vip.leader", vip_tenant)))
    html = client.get(f"/t/{vip_tenant.slug}/vip/waitlist").get_data(as_text=True)
    assert "Alva Ek" in html and "/move" not in html and "offer-next" not in html
    assert client.get(f"/t/{vip_tenant.slug}/vip/waitlist/applications/{application.id}/move").status_code == 403


def test_a_user_of_another_tenant_cannot_see_the_waitlist(client, make_tenant, make_user, vip_tenant):
    login_en(client, make_user(("vip.coordinator", make_tenant(plugins={"vip": {}}))))
    assert client.get(f"/t/{vip_tenant.slug}/vip/waitlist").status_code == 404


def test_the_move_page_keeps_what_was_typed_and_says_a_reason_is_needed(client, db_session, vip_tenant, four,
                                                                         coordinator):
    login_en(client, coordinator)
    url = f"/t/{vip_tenant.slug}/vip/waitlist/applications/{four[2].id}/move"
    form = client.get(url)
    assert form.status_code == 200 and "3 of 4" in form.get_data(as_text=True)

    refused = client.post(url, data={"to_position": "1", "reason": "  "})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Give a reason" in html and 'value="1"' in html
    assert 'aria-describedby="reason-help reason-error" aria-invalid="true"' in html

    not_a_number = client.post(url, data={"to_position": "first", "reason": "Needs it now"})
    html = not_a_number.get_data(as_text=True)
    assert not_a_number.status_code == 422 and "whole number" in html and "Needs it now" in html
    assert client.post(url, data={"to_position": "9", "reason": "Needs it now"}).status_code == 422
    assert line(db_session, vip_tenant) == [a.id for a in four]

    moved = client.post(url, data={"to_position": "1", "reason": "Needs it now"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/vip/waitlist/women")
    assert line(db_session, vip_tenant) == [four[2].id, four[0].id, four[1].id, four[3].id]
    page = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "moved from position 3 to 1" in page and "Needs it now" in page
    assert "Needs it now" in client.get(url).get_data(as_text=True)  # the application's history


def test_the_move_page_of_an_unknown_or_foreign_application_is_404(client, db_session, make_person, make_tenant,
                                                                    vip_tenant, coordinator):
    other = make_tenant(plugins={"vip": {}})
    foreign = apply(db_session, make_person, other)
    login_en(client, coordinator)
    for application_id in (foreign.id, 2**31 - 1):
        assert client.get(f"/t/{vip_tenant.slug}/vip/waitlist/applications/{application_id}/move").status_code == 404
        assert client.post(f"/t/{vip_tenant.slug}/vip/waitlist/applications/{application_id}/move",
                           data={"to_position": "1", "reason": "x"}).status_code == 404


def test_the_waitlist_pages_run_a_constant_number_of_queries(app, client, db_session, make_person, vip_tenant,
                                                             coordinator, query_counter):
    group = make_group(db_session, vip_tenant, capacity=20)
    apps = [apply(db_session, make_person, vip_tenant, days=n) for n in range(3)]
    with working_in(app, vip_tenant):
        offers.make_offer(db_session, apps[0], group, now=NOW)
        waitlist.move(db_session, apps[2], 2, "First move", coordinator)
        db_session.commit()
    login_en(client, coordinator)
    slug = vip_tenant.slug

    def grow():
        more = [apply(db_session, make_person, vip_tenant, days=n, taken_before=n % 2 == 0) for n in range(10)]
        other = make_group(db_session, vip_tenant, name="Second group", capacity=20)
        with working_in(app, vip_tenant):
            for n, application in enumerate(more[:4]):
                offers.make_offer(db_session, application, other if n % 2 else group, now=NOW,
                                  out_of_turn_reason="Spread over two groups")
            for application in more[4:8]:
                waitlist.move(db_session, application, 1, "Another move", coordinator)
            db_session.commit()

    query_counter.assert_constant(client, [f"/t/{slug}/vip/waitlist", f"/t/{slug}/vip/waitlist/women",
                                           f"/api/v1/t/{slug}/vip/waitlists/women",
                                           f"/api/v1/t/{slug}/vip/waitlists/women/moves"], grow)
