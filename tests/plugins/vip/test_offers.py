"""Offers of places: making them, the email and its link, answers (link and staff), expiry, and placing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import tenant_scope
from core.jobs.emails import recipient_language
from core.jobs.models import OutboxMessage
from core.sessions.models import Attendance
from core.toolkit import OfferAnswered, OfferExpired, OfferStatus
from plugins.vip.models import (
    Application,
    ApplicationStatus,
    ContactVia,
    GroupStatus,
    Meeting,
    Offer,
    WaitlistMove,
)
from plugins.vip.services import offers
from tests.plugins.vip.test_waitlist import NOW, apply, audit_events, line, login_en, make_group, working_in

LINK = re.compile(r"(https?://\S+/t/([\w-]+)/vip/offers/([\w-]+))")


def outbox(db_session, tenant) -> list[OutboxMessage]:
    with tenant_scope(tenant.id):
        return list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)
                                       .execution_options(populate_existing=True)))


def token_of(db_session, tenant, offer) -> str:
    with tenant_scope(tenant.id):
        message = db_session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == f"vip.offer.{offer.id}")).one()
    return LINK.search(message.body_text).group(3)


def fresh(db_session, tenant, model, id_):
    with tenant_scope(tenant.id):
        return db_session.scalars(select(model).where(model.id == id_).execution_options(populate_existing=True)).one()


@pytest.fixture
def line_of_three(db_session, make_person, vip_tenant):
    """Anna (first time, first), Bodil (first time), Cissi (taken it before)."""
    return [apply(db_session, make_person, vip_tenant, first_name="Anna", last_name="Andersson", days=1,
                  email="anna@example.org"),
            apply(db_session, make_person, vip_tenant, first_name="Bodil", last_name="Berg", days=2,
                  email="bodil@example.org"),
            apply(db_session, make_person, vip_tenant, first_name="Cissi", last_name="Carlsson", days=0,
                  taken_before=True, email="cissi@example.org")]


# -- places ---------------------------------------------------------------------------------------


def test_free_places_are_the_capacity_less_participants_and_open_offers(app, db_session, vip_tenant, line_of_three):
    group = make_group(db_session, vip_tenant, capacity=3)
    with working_in(app, vip_tenant):
        assert offers.free_places(db_session, group) == 3
        offers.make_offer(db_session, line_of_three[0], group, now=NOW)
        assert offers.free_places(db_session, group) == 2
        offers.place(db_session, line_of_three[1], group, now=NOW)
        assert offers.free_places(db_session, group) == 1
        assert offers.places_of(db_session, [group]) == {group.id: {"placed": 1, "offered": 1, "free": 1}}
        offers.place(db_session, line_of_three[2], group, now=NOW)
        assert offers.free_places(db_session, group) == 0


# -- making an offer ---------------------------------------------------------------------------


def test_an_offer_to_the_next_in_line_is_stored_emailed_and_audited(app, db_session, make_vip_tenant, make_person):
    tenant = make_vip_tenant(offer_days=3)
    anna = apply(db_session, make_person, tenant, first_name="Anna", last_name="Andersson", email="anna@example.org")
    group = make_group(db_session, tenant, name="Tisdagsgruppen", location="Träffpunkten",
                       meetings=[NOW - timedelta(days=1), NOW + timedelta(days=8), NOW + timedelta(days=15)])
    with working_in(app, tenant):
        offer = offers.make_offer(db_session, anna, group, now=NOW)
        db_session.commit()

    offer = fresh(db_session, tenant, Offer, offer.id)
    assert (offer.status, offer.application_id, offer.group_id) == (OfferStatus.open, anna.id, group.id)
    assert offer.expires_at == NOW + timedelta(days=3)
    assert fresh(db_session, tenant, Application, anna.id).status == ApplicationStatus.offered
    [message] = outbox(db_session, tenant)
    assert (message.recipient, message.idempotency_key) == ("anna@example.org", f"vip.offer.{offer.id}")
    link, slug, token = LINK.search(message.body_text).groups()
    assert link.startswith("https://samverka.example.org/") and slug == tenant.slug  # the base URL
    assert offer.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in offer.token_hash
    assert link in message.body_html
    text = message.body_text
    assert "Hej Anna!" in text or "Hello Anna!" in text  # the tenant's language, once translated
    assert "Andersson" not in text and "Tisdagsgruppen" in text and "Träffpunkten" in text
    assert "13:00" in text and "12:00" not in text and "2031" in text  # 12:00 UTC on the Swedish clock
    [event] = audit_events(db_session, tenant, "vip.offer.make")
    assert event.detail == {"application_id": anna.id, "group_id": group.id, "out_of_turn": False, "emailed": True}


def test_the_offer_goes_to_the_contact_when_someone_else_is_contacted(app, db_session, make_person, vip_tenant):
    application = apply(db_session, make_person, vip_tenant, first_name="Dora", email="dora@example.org",
                        contact_via=ContactVia.guardian, contact_email="guardian@example.org")
    group = make_group(db_session, vip_tenant)
    with working_in(app, vip_tenant):
        offers.make_offer(db_session, application, group, now=NOW)
        db_session.commit()
    [message] = outbox(db_session, vip_tenant)
    assert message.recipient == "guardian@example.org" and "Dora" in message.subject


def test_without_an_email_address_the_offer_is_made_and_nothing_is_queued(app, db_session, make_person, vip_tenant):
    application = apply(db_session, make_person, vip_tenant, email=None, contact_via=ContactVia.contact_person)
    group = make_group(db_session, vip_tenant)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, application, group, now=NOW)
        db_session.commit()
    assert offer.status == OfferStatus.open and outbox(db_session, vip_tenant) == []
    assert audit_events(db_session, vip_tenant, "vip.offer.make")[0].detail["emailed"] is False


def test_the_email_is_in_the_applicants_language_when_the_tenant_offers_it(app, db_session, make_person, vip_tenant):
    finnish = apply(db_session, make_person, vip_tenant, preferred_language="fi")
    unknown = apply(db_session, make_person, vip_tenant, preferred_language="de")
    with working_in(app, vip_tenant):
        assert recipient_language(finnish.person, vip_tenant) == "fi"
        assert recipient_language(unknown.person, vip_tenant) == "sv"  # the tenant's first language


def test_an_offer_for_another_audience_is_refused(app, db_session, vip_tenant, line_of_three):
    group = make_group(db_session, vip_tenant, audience="men")
    with working_in(app, vip_tenant):
        with pytest.raises(offers.OfferError) as raised:
            offers.make_offer(db_session, line_of_three[0], group, now=NOW)
    assert list(raised.value.errors) == ["group_id"]


def test_an_offer_out_of_turn_needs_a_reason_and_is_logged_like_a_move(app, db_session, vip_tenant, line_of_three,
                                                                        coordinator):
    anna, bodil, cissi = line_of_three
    group = make_group(db_session, vip_tenant)
    with working_in(app, vip_tenant):
        for reason in (None, "  "):
            with pytest.raises(offers.OfferError) as raised:
                offers.make_offer(db_session, cissi, group, now=NOW, out_of_turn_reason=reason)
            assert list(raised.value.errors) == ["out_of_turn_reason"]
        offer = offers.make_offer(db_session, cissi, group, now=NOW, out_of_turn_reason="Her group closes in May",
                                  by_user=coordinator)
        db_session.commit()
    assert offer.status == OfferStatus.open
    assert line(db_session, vip_tenant) == [cissi.id, anna.id, bodil.id]
    with tenant_scope(vip_tenant.id):
        move = db_session.scalars(select(WaitlistMove)).one()
    assert (move.application_id, move.from_position, move.to_position, move.reason, move.moved_by) == (
        cissi.id, 3, 1, "Her group closes in May", coordinator.id)
    assert audit_events(db_session, vip_tenant, "vip.offer.make")[0].detail["out_of_turn"] is True
    assert len(audit_events(db_session, vip_tenant, "vip.waitlist.move")) == 1


def test_an_offer_out_of_turn_goes_to_the_front_of_those_waiting_not_before_open_offers(app, db_session, vip_tenant,
                                                                                        line_of_three):
    anna, bodil, cissi = line_of_three
    group = make_group(db_session, vip_tenant)
    with working_in(app, vip_tenant):
        offers.make_offer(db_session, anna, group, now=NOW)
        offers.make_offer(db_session, cissi, group, now=NOW, out_of_turn_reason="Needs a women's group soon")
        db_session.commit()
    assert line(db_session, vip_tenant) == [anna.id, cissi.id, bodil.id]


def test_no_offer_without_a_free_place(app, db_session, vip_tenant, line_of_three):
    group = make_group(db_session, vip_tenant, capacity=2)
    with working_in(app, vip_tenant):
        offers.make_offer(db_session, line_of_three[0], group, now=NOW)
        offers.place(db_session, line_of_three[1], group, now=NOW)
        with pytest.raises(offers.GroupFull):
            offers.make_offer(db_session, line_of_three[2], group, now=NOW, out_of_turn_reason="Anyway")


@pytest.mark.parametrize("status", [GroupStatus.finished, GroupStatus.cancelled])
def test_no_offer_or_place_in_a_finished_or_cancelled_group(app, db_session, vip_tenant, line_of_three, status):
    group = make_group(db_session, vip_tenant, status=status)
    with working_in(app, vip_tenant):
        with pytest.raises(offers.OfferConflict):
            offers.make_offer(db_session, line_of_three[0], group, now=NOW)
        with pytest.raises(offers.OfferConflict):
            offers.place(db_session, line_of_three[0], group, now=NOW)
        assert offers.offer_next(db_session, group, now=NOW) == []


def test_an_applicant_gets_one_open_offer_at_a_time(app, db_session, vip_tenant, line_of_three):
    first, second = make_group(db_session, vip_tenant), make_group(db_session, vip_tenant, name="Second")
    with working_in(app, vip_tenant):
        offers.make_offer(db_session, line_of_three[0], first, now=NOW)
        with pytest.raises(offers.OfferConflict, match="already has an open offer"):
            offers.make_offer(db_session, line_of_three[0], second, now=NOW, out_of_turn_reason="Both")


def test_offer_next_offers_each_free_place_in_waitlist_order(app, db_session, vip_tenant, line_of_three):
    anna, bodil, cissi = line_of_three
    group = make_group(db_session, vip_tenant, capacity=2)
    with working_in(app, vip_tenant):
        made = offers.offer_next(db_session, group, now=NOW)
        assert [o.application_id for o in made] == [anna.id, bodil.id]
        assert offers.offer_next(db_session, group, now=NOW) == []
        db_session.commit()
    assert sorted(m.recipient for m in outbox(db_session, vip_tenant)) == ["anna@example.org", "bodil@example.org"]
    assert fresh(db_session, vip_tenant, Application, cissi.id).status == ApplicationStatus.waiting


# -- answers ------------------------------------------------------------------------------------------


def test_yes_gives_the_place_and_attendance_at_the_meetings_still_to_come(app, db_session, vip_tenant, line_of_three,
                                                                          coordinator):
    anna = line_of_three[0]
    group = make_group(db_session, vip_tenant, meetings=[NOW - timedelta(days=7), NOW + timedelta(days=1),
                                                         NOW + timedelta(days=8)])
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, anna, group, now=NOW)
        offers.answer(db_session, offer, True, by_user=coordinator, now=NOW + timedelta(hours=1))
        db_session.commit()
    offer = fresh(db_session, vip_tenant, Offer, offer.id)
    anna = fresh(db_session, vip_tenant, Application, anna.id)
    assert (offer.status, offer.answered_by, offer.answered_via_link) == (OfferStatus.accepted, coordinator.id, False)
    assert (anna.status, anna.group_id, anna.placed_at) == (ApplicationStatus.placed, group.id, NOW + timedelta(hours=1))
    with tenant_scope(vip_tenant.id):
        expected = db_session.scalars(select(Attendance.session_id).where(Attendance.person_id == anna.person_id)).all()
        future = db_session.scalars(select(Meeting.session_id).where(Meeting.group_id == group.id)
                                    .order_by(Meeting.number).offset(1)).all()
    assert sorted(expected) == future
    assert [e.detail for e in audit_events(db_session, vip_tenant, "vip.offer.answer")] == [
        {"accepted": True, "via_link": False, "kept_in_line": False}]


def test_no_closes_the_application_and_offers_the_place_to_the_next(app, db_session, vip_tenant, line_of_three):
    anna, bodil, _cissi = line_of_three
    group = make_group(db_session, vip_tenant, capacity=1)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, anna, group, now=NOW)
        offers.answer(db_session, offer, False, via_link=True, now=NOW)
        db_session.commit()
    anna = fresh(db_session, vip_tenant, Application, anna.id)
    assert (anna.status, anna.closed_reason, anna.closed_at) == (ApplicationStatus.closed, "declined", NOW)
    assert fresh(db_session, vip_tenant, Offer, offer.id).status == OfferStatus.declined
    assert fresh(db_session, vip_tenant, Application, bodil.id).status == ApplicationStatus.offered
    assert [m.recipient for m in outbox(db_session, vip_tenant)] == ["anna@example.org", "bodil@example.org"]


def test_staff_may_keep_a_no_in_line_and_it_is_not_offered_the_same_group_again(app, db_session, vip_tenant,
                                                                                 line_of_three, coordinator):
    anna, bodil, cissi = line_of_three
    group = make_group(db_session, vip_tenant, capacity=1)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, anna, group, now=NOW)
        offers.answer(db_session, offer, False, by_user=coordinator, keep_in_line=True, now=NOW)
        db_session.commit()
    assert fresh(db_session, vip_tenant, Application, anna.id).status == ApplicationStatus.waiting
    assert line(db_session, vip_tenant)[0] == anna.id  # keeps the place in line ...
    assert fresh(db_session, vip_tenant, Application, bodil.id).status == ApplicationStatus.offered  # ... but not this group
    later = make_group(db_session, vip_tenant, name="Autumn group", capacity=1)
    with working_in(app, vip_tenant):
        assert [o.application_id for o in offers.offer_next(db_session, later, now=NOW)] == [anna.id]
        assert [a.id for a in offers.next_in_line(db_session, group, 5)] == [cissi.id]


def test_an_offer_is_answered_once(app, db_session, vip_tenant, line_of_three):
    group = make_group(db_session, vip_tenant)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, line_of_three[0], group, now=NOW)
        offers.answer(db_session, offer, True, via_link=True, now=NOW)
        for accept in (True, False):
            with pytest.raises(OfferAnswered):
                offers.answer(db_session, offer, accept, via_link=True, now=NOW)
        db_session.commit()
    assert fresh(db_session, vip_tenant, Offer, offer.id).status == OfferStatus.accepted


def test_an_offer_past_its_time_cannot_be_answered_even_before_the_job_ran(app, db_session, vip_tenant, line_of_three):
    group = make_group(db_session, vip_tenant)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, line_of_three[0], group, now=NOW)
        db_session.commit()
        with pytest.raises(OfferExpired):
            offers.answer(db_session, offer, True, via_link=True, now=offer.expires_at)
    assert fresh(db_session, vip_tenant, Offer, offer.id).status == OfferStatus.open


# -- placing, and never overbooking ----------------------------------------------------------------------


def test_a_group_is_never_filled_past_its_capacity(app, db_session, make_person, vip_tenant):
    applications = [apply(db_session, make_person, vip_tenant, days=n) for n in range(5)]
    group = make_group(db_session, vip_tenant, capacity=3)
    with working_in(app, vip_tenant):
        for application in applications[:3]:
            offers.place(db_session, application, group, now=NOW)
        for application in applications[3:]:
            with pytest.raises(offers.GroupFull):
                offers.place(db_session, application, group, now=NOW)
        db_session.commit()
    with tenant_scope(vip_tenant.id):
        placed = db_session.scalars(select(Application.id).where(Application.group_id == group.id)).all()
    assert sorted(placed) == sorted(a.id for a in applications[:3])
    assert [fresh(db_session, vip_tenant, Application, a.id).status for a in applications[3:]] == [
        ApplicationStatus.waiting] * 2


def test_open_offers_hold_their_places_against_direct_placement(app, db_session, vip_tenant, line_of_three):
    anna, bodil, cissi = line_of_three
    group = make_group(db_session, vip_tenant, capacity=2)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, anna, group, now=NOW)
        offers.place(db_session, cissi, group, now=NOW)
        with pytest.raises(offers.GroupFull):
            offers.place(db_session, bodil, group, now=NOW)
        offers.answer(db_session, offer, True, via_link=True, now=NOW)  # the promised place is there
        db_session.commit()
    assert fresh(db_session, vip_tenant, Application, anna.id).status == ApplicationStatus.placed


def test_placing_directly_takes_an_open_offer_of_the_group_as_accepted(app, db_session, vip_tenant, line_of_three,
                                                                       coordinator):
    group = make_group(db_session, vip_tenant, capacity=1)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, line_of_three[0], group, now=NOW)
        offers.place(db_session, line_of_three[0], group, now=NOW, by_user=coordinator)
        db_session.commit()
    offer = fresh(db_session, vip_tenant, Offer, offer.id)
    assert (offer.status, offer.answered_by) == (OfferStatus.accepted, coordinator.id)


def test_placing_in_another_group_withdraws_the_open_offer_and_passes_that_place_on(app, db_session, vip_tenant,
                                                                                    line_of_three):
    anna, bodil, _cissi = line_of_three
    offered_group = make_group(db_session, vip_tenant, capacity=1, name="Offered")
    other = make_group(db_session, vip_tenant, capacity=1, name="Other")
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, anna, offered_group, now=NOW)
        offers.place(db_session, anna, other, now=NOW)
        db_session.commit()
    assert fresh(db_session, vip_tenant, Offer, offer.id).status == OfferStatus.withdrawn
    assert fresh(db_session, vip_tenant, Application, anna.id).group_id == other.id
    with tenant_scope(vip_tenant.id):
        bodils = db_session.scalars(select(Offer).where(Offer.application_id == bodil.id)).one()
    assert (bodils.group_id, bodils.status) == (offered_group.id, OfferStatus.open)


def test_placing_refuses_applications_out_of_line_or_of_another_audience(app, db_session, make_person, vip_tenant,
                                                                         line_of_three):
    group = make_group(db_session, vip_tenant)
    man = apply(db_session, make_person, vip_tenant, audience="men")
    with working_in(app, vip_tenant):
        with pytest.raises(offers.OfferError):
            offers.place(db_session, man, group, now=NOW)
        offers.place(db_session, line_of_three[0], group, now=NOW)
        with pytest.raises(offers.OfferConflict, match="already has a place"):
            offers.place(db_session, line_of_three[0], group, now=NOW)
        line_of_three[1].status = ApplicationStatus.withdrawn
        db_session.flush()
        with pytest.raises(offers.OfferConflict, match="no longer on the waitlist"):
            offers.place(db_session, line_of_three[1], group, now=NOW)


def test_withdrawing_a_groups_offers_puts_the_applicants_back_in_line(app, db_session, vip_tenant, line_of_three):
    anna, bodil, cissi = line_of_three
    group = make_group(db_session, vip_tenant, capacity=2)
    with working_in(app, vip_tenant):
        made = offers.offer_next(db_session, group, now=NOW)
        group.status = GroupStatus.cancelled
        assert offers.withdraw_offers(db_session, group, now=NOW) == 2
        assert offers.withdraw_offers(db_session, group, now=NOW) == 0
        db_session.commit()
    assert [fresh(db_session, vip_tenant, Offer, o.id).status for o in made] == [OfferStatus.withdrawn] * 2
    assert [fresh(db_session, vip_tenant, Application, a.id).status for a in line_of_three] == [
        ApplicationStatus.waiting] * 3
    assert line(db_session, vip_tenant) == [anna.id, bodil.id, cissi.id]
    assert len(audit_events(db_session, vip_tenant, "vip.offer.withdraw")) == 2


def test_a_withdrawn_offer_does_not_bar_the_applicant_from_that_group(app, db_session, vip_tenant, line_of_three):
    """Only declining or letting an offer expire keeps someone from being offered the group
    again; an offer staff took back does not."""
    anna = line_of_three[0]
    group = make_group(db_session, vip_tenant, capacity=1)
    with working_in(app, vip_tenant):
        offers.offer_next(db_session, group, now=NOW)
        offers.withdraw_offers(db_session, group, now=NOW)
        assert offers.next_in_line(db_session, group) == [anna]
        declined = offers.make_offer(db_session, anna, group, now=NOW)
        offers.answer(db_session, declined, False, keep_in_line=True, now=NOW)
        assert anna.status == ApplicationStatus.waiting
        assert anna not in offers.next_in_line(db_session, group, limit=3)


# -- expiry ----------------------------------------------------------------------------------------------


def test_an_unanswered_offer_expires_goes_to_the_back_and_the_place_goes_to_the_next(app, db_session, vip_tenant,
                                                                                     line_of_three):
    anna, bodil, cissi = line_of_three
    group = make_group(db_session, vip_tenant, capacity=1)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, anna, group, now=NOW)
        db_session.commit()
    with app.app_context(), tenant_scope(vip_tenant.id):
        assert offers.expire_due_offers(db_session, vip_tenant, offer.expires_at - timedelta(seconds=1)) == 0
        assert offers.expire_due_offers(db_session, vip_tenant, offer.expires_at) == 1
        assert offers.expire_due_offers(db_session, vip_tenant, offer.expires_at) == 0  # idempotent
        db_session.commit()

    assert fresh(db_session, vip_tenant, Offer, offer.id).status == OfferStatus.expired
    assert fresh(db_session, vip_tenant, Application, anna.id).status == ApplicationStatus.waiting
    assert line(db_session, vip_tenant) == [bodil.id, cissi.id, anna.id]
    with tenant_scope(vip_tenant.id):
        move = db_session.scalars(select(WaitlistMove)).one()
    assert (move.application_id, move.from_position, move.to_position, move.reason, move.moved_by) == (
        anna.id, 1, 3, offers.EXPIRED_REASON, None)
    assert fresh(db_session, vip_tenant, Application, bodil.id).status == ApplicationStatus.offered
    messages = outbox(db_session, vip_tenant)
    assert [m.recipient for m in messages] == ["anna@example.org", "bodil@example.org"]
    # No request names a host: the job's link starts with the base_url setting.
    assert LINK.search(messages[1].body_text).group(1).startswith(app.extensions["samverka"].settings.base_url + "/t/")
    assert len(audit_events(db_session, vip_tenant, "vip.offer.expire")) == 1


def test_an_expired_offer_is_not_offered_the_same_group_again(app, db_session, make_person, vip_tenant):
    only = apply(db_session, make_person, vip_tenant)
    group = make_group(db_session, vip_tenant, capacity=1)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, only, group, now=NOW)
        db_session.commit()
    with app.app_context(), tenant_scope(vip_tenant.id):
        assert offers.expire_due_offers(db_session, vip_tenant, offer.expires_at + timedelta(days=1)) == 1
        db_session.commit()
        assert [o.id for o in db_session.scalars(select(Offer))] == [offer.id]
        assert fresh(db_session, vip_tenant, Application, only.id).status == ApplicationStatus.waiting


@pytest.fixture
def cli(app, db_session, smtp, monkeypatch):
    """``samverka jobs run``, with the app's SMTP settings pointing at the live test server."""
    from core.cli import main

    state = app.extensions["samverka"]
    monkeypatch.setattr(state, "settings", replace(state.settings, smtp_host=smtp.host, smtp_port=smtp.port,
                                                   base_url="https://vip.example.org"))
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_samverka_jobs_run_expires_offers_and_mails_the_next_in_line(app, cli, db_session, vip_tenant, line_of_three,
                                                                     smtp):
    anna, bodil, _cissi = line_of_three
    group = make_group(db_session, vip_tenant, capacity=1)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, anna, group, now=NOW)
        db_session.commit()

    result = cli("jobs", "run", "--now", (offer.expires_at + timedelta(minutes=1)).isoformat())

    assert f"failed: vip.expire_offers@{vip_tenant.slug}" not in result.output, result.output
    assert fresh(db_session, vip_tenant, Offer, offer.id).status == OfferStatus.expired
    assert fresh(db_session, vip_tenant, Application, bodil.id).status == ApplicationStatus.offered
    sent = {r.rcpt_tos[0]: r.message for r in smtp.messages}
    assert set(sent) >= {"anna@example.org", "bodil@example.org"}
    body = sent["bodil@example.org"].get_body(("plain",)).get_content()
    assert f"https://vip.example.org/t/{vip_tenant.slug}/vip/offers/" in body


def test_an_offer_queued_by_the_expiry_job_shows_the_tenants_clock(app, db_session, vip_tenant, line_of_three):
    """#7 item 14: the job has no request (and so no Flask-Babel time zone): the first
    meeting at 12:00 UTC on a winter day is 13:00 in Sweden."""
    anna, bodil, _cissi = line_of_three
    winter = make_group(db_session, vip_tenant, capacity=1, meetings=[NOW + timedelta(days=10)])
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, anna, winter, now=NOW)
        db_session.commit()
    with app.app_context(), tenant_scope(vip_tenant.id):
        assert offers.expire_due_offers(db_session, vip_tenant, offer.expires_at) == 1
        db_session.commit()
    [message] = [m for m in outbox(db_session, vip_tenant) if m.recipient == "bodil@example.org"]
    assert "13:00" in message.body_text and "12:00" not in message.body_text
    assert "13:00" in message.body_html


# -- the public answer page -------------------------------------------------------------------------------


@pytest.fixture
def offered(app, db_session, vip_tenant, line_of_three):
    """Anna's open offer of a place in a group of one, and the token of her link."""
    group = make_group(db_session, vip_tenant, capacity=1, name="Tisdagsgruppen", location="Träffpunkten",
                       meetings=[NOW + timedelta(days=400), NOW + timedelta(days=407)])
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, line_of_three[0], group, now=NOW + timedelta(days=390))
        db_session.commit()
    return offer, token_of(db_session, vip_tenant, offer)


def _english(client):
    with client.session_transaction() as session:
        session["language"] = "en"
    return client


def test_the_answer_page_shows_the_first_name_group_first_meeting_and_place_only(client, vip_tenant, offered):
    offer, token = offered
    page = _english(client).get(f"/t/{vip_tenant.slug}/vip/offers/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Hello Anna!" in html and "Andersson" not in html and "anna@example.org" not in html
    assert "Tisdagsgruppen" in html and "Träffpunkten (meeting)" in html and "2032" in html
    assert "Yes, I want the place" in html and "No, I do not want the place" in html


def test_yes_through_the_link_gives_the_place_and_a_second_answer_is_refused(client, db_session, vip_tenant, offered):
    offer, token = offered
    url = f"/t/{vip_tenant.slug}/vip/offers/{token}"
    answered = _english(client).post(url, data={"answer": "yes"})
    assert answered.status_code == 200 and "You have a place in the group Tisdagsgruppen" in answered.get_data(as_text=True)
    stored = fresh(db_session, vip_tenant, Offer, offer.id)
    assert (stored.status, stored.answered_via_link, stored.answered_by) == (OfferStatus.accepted, True, None)
    assert fresh(db_session, vip_tenant, Application, offer.application_id).status == ApplicationStatus.placed

    again = client.post(url, data={"answer": "no"})
    assert again.status_code == 409 and "You have already answered" in again.get_data(as_text=True)
    assert client.get(url).status_code == 409
    assert fresh(db_session, vip_tenant, Offer, offer.id).status == OfferStatus.accepted


def test_no_through_the_link_closes_and_passes_the_place_on(client, db_session, vip_tenant, offered, line_of_three):
    offer, token = offered
    answered = _english(client).post(f"/t/{vip_tenant.slug}/vip/offers/{token}", data={"answer": "no"})
    assert answered.status_code == 200 and "You said no." in answered.get_data(as_text=True)
    assert fresh(db_session, vip_tenant, Application, offer.application_id).closed_reason == "declined"
    assert fresh(db_session, vip_tenant, Application, line_of_three[1].id).status == ApplicationStatus.offered
    bodil = [m for m in outbox(db_session, vip_tenant) if m.recipient == "bodil@example.org"]
    assert LINK.search(bodil[0].body_text).group(1).startswith(f"https://samverka.example.org/t/{vip_tenant.slug}/")


def test_a_post_without_yes_or_no_reshows_the_page(client, db_session, vip_tenant, offered):
    offer, token = offered
    response = _english(client).post(f"/t/{vip_tenant.slug}/vip/offers/{token}", data={"answer": "maybe"})
    assert response.status_code == 422 and "Press Yes or No." in response.get_data(as_text=True)
    assert fresh(db_session, vip_tenant, Offer, offer.id).status == OfferStatus.open


def test_unknown_expired_and_foreign_links_get_a_friendly_page(app, client, db_session, make_tenant, vip_tenant,
                                                               offered):
    offer, token = offered
    _english(client)
    unknown = client.get(f"/t/{vip_tenant.slug}/vip/offers/not-a-real-token")
    assert unknown.status_code == 404 and "We cannot find this offer" in unknown.get_data(as_text=True)
    other = make_tenant(plugins={"vip": {}})
    assert client.get(f"/t/{other.slug}/vip/offers/{token}").status_code == 404

    with app.app_context(), tenant_scope(vip_tenant.id):
        offers.expire_due_offers(db_session, vip_tenant, offer.expires_at)
        db_session.commit()
    expired = client.get(f"/t/{vip_tenant.slug}/vip/offers/{token}")
    assert expired.status_code == 410 and "The time to answer is over" in expired.get_data(as_text=True)
    assert client.post(f"/t/{vip_tenant.slug}/vip/offers/{token}", data={"answer": "yes"}).status_code == 410


def test_the_answer_form_needs_its_csrf_token(csrf_client, db_session, vip_tenant, offered):
    offer, token = offered
    url = f"/t/{vip_tenant.slug}/vip/offers/{token}"
    assert csrf_client.post(url, data={"answer": "yes"}).status_code == 400
    page = csrf_client.get(url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert csrf_client.post(url, data={"answer": "yes", "csrf_token": csrf}).status_code == 200
    assert fresh(db_session, vip_tenant, Offer, offer.id).status == OfferStatus.accepted


def test_the_answer_page_is_rate_limited(client, vip_tenant):
    # 61 tries span at most two one-minute windows, so one of them passes the 30 allowed.
    statuses = [client.get(f"/t/{vip_tenant.slug}/vip/offers/guess-{n}").status_code for n in range(61)]
    assert set(statuses) == {404, 429} and statuses[:30] == [404] * 30 or statuses.count(429) >= 1


# -- the staff pages for offers and answers ----------------------------------------------------------


def test_staff_offer_a_place_from_the_page_and_out_of_turn_needs_a_reason(client, db_session, vip_tenant, line_of_three,
                                                                          coordinator):
    anna, bodil, cissi = line_of_three
    group = make_group(db_session, vip_tenant, capacity=2, name="Tisdagsgruppen")
    login_en(client, coordinator)
    url = f"/t/{vip_tenant.slug}/vip/waitlist/applications/{cissi.id}/offer"
    form = client.get(url).get_data(as_text=True)
    assert "Tisdagsgruppen: 2 free places" in form

    refused = client.post(url, data={"group_id": str(group.id), "out_of_turn_reason": "", "action": "offer"})
    assert refused.status_code == 422 and "Give the reason for offering the place out of turn" in refused.get_data(as_text=True)
    assert client.post(url, data={"group_id": "x", "action": "offer"}).status_code == 422
    assert client.post(url, data={"group_id": "999999", "action": "offer"}).status_code == 422

    made = client.post(url, data={"group_id": str(group.id), "out_of_turn_reason": "Moving away in June",
                                  "action": "offer"})
    assert made.status_code == 302
    assert "The offer was sent by email" in client.get(made.headers["Location"]).get_data(as_text=True)
    assert fresh(db_session, vip_tenant, Application, cissi.id).status == ApplicationStatus.offered

    placed = client.post(f"/t/{vip_tenant.slug}/vip/waitlist/applications/{bodil.id}/offer",
                         data={"group_id": str(group.id), "action": "place"})
    assert placed.status_code == 302 and fresh(db_session, vip_tenant, Application, bodil.id).group_id == group.id
    full = client.post(f"/t/{vip_tenant.slug}/vip/waitlist/applications/{anna.id}/offer",
                       data={"group_id": str(group.id), "action": "place"})
    html = full.get_data(as_text=True)
    assert full.status_code == 409 and "The group is full." in html and "No group of this audience has a free place" in html


def test_staff_offer_free_places_to_the_next_in_line_from_the_waitlist(client, db_session, vip_tenant, line_of_three,
                                                                       coordinator):
    group = make_group(db_session, vip_tenant, capacity=2, name="Tisdagsgruppen")
    login_en(client, coordinator)
    response = client.post(f"/t/{vip_tenant.slug}/vip/waitlist/groups/{group.id}/offer-next")
    assert response.status_code == 302
    assert "Offers sent for 2 free places" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert [fresh(db_session, vip_tenant, Application, a.id).status for a in line_of_three] == [
        ApplicationStatus.offered, ApplicationStatus.offered, ApplicationStatus.waiting]
    again = client.post(f"/t/{vip_tenant.slug}/vip/waitlist/groups/{group.id}/offer-next")
    assert "No offer was made" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_staff_record_an_answer_on_the_applicants_word_once(app, client, db_session, vip_tenant, line_of_three,
                                                            coordinator):
    group = make_group(db_session, vip_tenant, capacity=1)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, line_of_three[0], group, now=NOW + timedelta(days=3650))
        db_session.commit()
    login_en(client, coordinator)
    url = f"/t/{vip_tenant.slug}/vip/waitlist/offers/{offer.id}"
    assert "What did" in client.get(url).get_data(as_text=True)
    missing = client.post(url, data={})
    assert missing.status_code == 422 and "Choose the answer" in missing.get_data(as_text=True)

    recorded = client.post(url, data={"answer": "no", "keep_in_line": "1"})
    assert recorded.status_code == 302
    stored = fresh(db_session, vip_tenant, Offer, offer.id)
    assert (stored.status, stored.answered_by, stored.answered_via_link) == (OfferStatus.declined, coordinator.id, False)
    assert fresh(db_session, vip_tenant, Application, line_of_three[0].id).status == ApplicationStatus.waiting

    again = client.post(url, data={"answer": "yes"})
    assert again.status_code == 409 and "answered already" in again.get_data(as_text=True)
    assert "recorded by" in client.get(url).get_data(as_text=True)
    assert client.get(f"/t/{vip_tenant.slug}/vip/waitlist/offers/{2**31 - 1}").status_code == 404
