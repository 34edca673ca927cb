"""VIP applications: submitting, the acknowledgement, duplicates and merging, withdrawal,
consent withdrawal, and the staff pages (list, detail, paper form)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.db import tenant_scope
from core.jobs.mail import SmtpSender
from core.jobs.models import OutboxMessage
from core.jobs.services import deliver_outbox
from core.people import services as people
from core.people.models import Consent, ConsentGiver, Person
from core.sessions.models import Attendance
from core.sessions.services import create_session
from core.toolkit import OfferStatus
from plugins.vip.models import (
    Application,
    ApplicationStatus,
    Channel,
    ContactVia,
    Group,
    GroupStatus,
    Meeting,
    Offer,
    Outreach,
)
from plugins.vip import schemas
from plugins.vip.services import applications as services
from plugins.vip.services import offers
from plugins.vip.services.ranking import initial_rank
from core.testing.app import login

#: A complete answer from the public form, as the browser posts it.
FORM = {
    "first_name": "Anna", "last_name": "Berg", "birth_year": "1994", "contact_via": "self",
    "phone": "070-123 45 67", "email": "anna.berg@example.org", "audience": "women", "taken_before": "no",
    "interpreter_needed": "no", "needs": "", "consent": "yes", "consent_given_by": "self",
}
PNR = "19811218-9876"


@pytest.fixture
def vault(app):
    return app.extensions["samverka"].vault


@pytest.fixture
def submit(app, db_session, vault, vip_tenant):
    """``submit(**answers)``: an application through the schema and the service, committed."""

    def run(tenant=None, *, channel=Channel.web, language="en", person=None, applied_at=None, staff=True,
            **answers):
        tenant = tenant or vip_tenant
        form = {k: v for k, v in {**FORM, **answers}.items() if v is not None}
        schema = schemas.VipStaffApplicationInSchema() if staff else schemas.VipApplicationInSchema()
        with app.test_request_context(), tenant_scope(tenant.id):
            data = schema.load(form)
            application = services.submit_application(db_session, vault, data, channel=channel,
                                                      country=tenant.country, applied_at=applied_at,
                                                      person=person, language=language)
            db_session.commit()
            application.person  # loaded while in scope
        return application

    return run


def _in(tenant, session, stmt):
    with tenant_scope(tenant.id):
        return session.scalars(stmt).all()


def _reload(tenant, session, application_id):
    with tenant_scope(tenant.id):
        return session.scalar(select(Application).where(Application.id == application_id)
                              .execution_options(populate_existing=True))


def _audit(tenant, session, *columns, **where):
    """Audit events of ``tenant`` (row-level security shows a tenant its own events only)."""
    stmt = select(*columns).where(AuditEvent.tenant_id == tenant.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, name) == value)
    with tenant_scope(tenant.id):
        return session.execute(stmt).all()


def _hooks(app, *plugins):
    return app.extensions["samverka"].registry.relay(set(plugins))


# --------------------------------------------------------------------------- submitting


def test_an_application_makes_the_person_the_consent_and_the_application(submit, vip_tenant, db_session):
    application = submit()
    person = application.person
    assert (person.first_name, person.last_name, person.birth_year) == ("Anna", "Berg", 1994)
    assert (person.email, person.phone, person.preferred_language) == ("anna.berg@example.org", "070-123 45 67", "en")
    assert application.status == ApplicationStatus.waiting and application.channel == Channel.web
    assert application.created_person is True and application.taken_before is False
    assert application.queue_rank == initial_rank(False, application.applied_at)
    assert (application.contact_name, application.contact_phone, application.contact_email) == (None, None, None)
    [consent] = _in(vip_tenant, db_session, select(Consent).where(Consent.person_id == person.id))
    assert (consent.plugin, consent.given_by, consent.active) == ("vip", ConsentGiver.self, True)
    assert "VIP" in consent.purpose


def test_the_application_is_audited_without_personal_data(submit, vip_tenant, db_session):
    application = submit()
    events = _audit(vip_tenant, db_session, AuditEvent.action, AuditEvent.object_id, AuditEvent.detail)
    actions = {e.action for e in events}
    assert {"person.create", "consent.add", "vip.application.create"} <= actions
    created = next(e for e in events if e.action == "vip.application.create")
    assert created.object_id == str(application.id)
    assert created.detail["channel"] == "web" and created.detail["new_person"] is True
    assert not any(word in str([e.detail for e in events]) for word in ("Anna", "Berg", "070", "example.org"))


@pytest.mark.parametrize(("answer", "taken_before"), [("yes", True), ("no", False), ("dont_know", False)])
def test_dont_know_counts_as_first_time(submit, answer, taken_before):
    application = submit(taken_before=answer)
    assert application.taken_before is taken_before
    assert application.queue_rank == initial_rank(taken_before, application.applied_at)


def test_first_timers_come_before_returning_applicants(submit):
    returning = submit(first_name="Early", taken_before="yes")
    first_timer = submit(first_name="Later", taken_before="no")
    assert first_timer.applied_at > returning.applied_at and first_timer.queue_rank < returning.queue_rank


def test_a_contact_persons_details_stay_on_the_application_and_the_applicants_are_dropped(submit):
    application = submit(contact_via="guardian", contact_name="Greta Berg", contact_phone="070-999 88 77",
                         contact_email="greta@example.org")
    assert application.contact_via == ContactVia.guardian
    assert (application.contact_name, application.contact_phone, application.contact_email) == (
        "Greta Berg", "070-999 88 77", "greta@example.org")
    # What was typed for the applicant's own contact is not kept: the contact is the guardian.
    assert (application.person.email, application.person.phone) == (None, None)


def test_an_interpreter_and_needs_are_kept(submit):
    application = submit(interpreter_needed="yes", interpreter_language="Somali", needs="Wheelchair ramp")
    assert (application.person.interpreter_needed, application.person.interpreter_language) == (True, "Somali")
    assert application.needs == "Wheelchair ramp"


def test_without_an_interpreter_the_language_typed_is_not_kept(submit):
    application = submit(interpreter_needed="no", interpreter_language="Somali")
    assert (application.person.interpreter_needed, application.person.interpreter_language) == (False, None)


@pytest.mark.parametrize(("changes", "field"), [
    ({"first_name": "  "}, "first_name"),
    ({"last_name": None}, "last_name"),
    ({"first_name": "x" * 101}, "first_name"),
    ({"birth_year": "1800"}, "birth_year"),
    ({"birth_year": "nineteen"}, "birth_year"),
    ({"birth_year": str(date.today().year + 1)}, "birth_year"),
    ({"contact_via": None}, "contact_via"),
    ({"contact_via": "neighbour"}, "contact_via"),
    ({"phone": None, "email": None}, "phone"),
    ({"email": "anna at example"}, "email"),
    ({"phone": "call me"}, "phone"),
    ({"contact_via": "contact_person", "contact_phone": "070-1"}, "contact_name"),
    ({"contact_via": "guardian", "contact_name": "Greta"}, "contact_phone"),
    ({"contact_via": "guardian", "contact_name": "Greta", "contact_email": "greta@"}, "contact_email"),
    ({"audience": None}, "audience"),
    ({"audience": "children"}, "audience"),
    ({"taken_before": None}, "taken_before"),
    ({"taken_before": "maybe"}, "taken_before"),
    ({"interpreter_needed": "yes"}, "interpreter_language"),
    ({"interpreter_needed": "perhaps"}, "interpreter_needed"),
    ({"needs": "x" * 2001}, "needs"),
    ({"consent": None}, "consent"),
    ({"consent": "no"}, "consent"),
    ({"consent_given_by": None}, "consent_given_by"),
    ({"consent_given_by": "neighbour"}, "consent_given_by"),
])
def test_the_schema_refuses_each_broken_rule_with_the_field(app, changes, field):
    form = {k: v for k, v in {**FORM, **changes}.items() if v is not None}
    with app.test_request_context():
        data, errors = schemas.load_form(schemas.VipApplicationInSchema(audiences=["women", "men"]), form)
    assert data is None and field in errors
    assert all(isinstance(m, str) and m for messages in errors.values() for m in messages)


def test_an_audience_the_tenant_does_not_run_is_refused(app, make_vip_tenant):
    tenant = make_vip_tenant(audiences=["young_women", "young_men"])
    with app.test_request_context():
        data, errors = schemas.load_form(schemas.VipApplicationInSchema(audiences=["young_women", "young_men"]),
                                          FORM)
    assert data is None and "audience" in errors


def test_the_service_refuses_an_audience_the_tenant_does_not_run(submit, make_vip_tenant):
    tenant = make_vip_tenant(audiences=["young_women"])
    with pytest.raises(services.ApplicationError) as caught:
        submit(tenant, audience="men")
    assert "audience" in caught.value.errors


def test_the_public_form_takes_no_national_id(submit, app):
    assert "national_id" not in schemas.VipApplicationInSchema().fields
    application = submit(staff=False, national_id=PNR)
    assert application.person.national_id_index is None


def test_staff_may_give_a_national_id_which_is_validated_and_encrypted(submit):
    application = submit(national_id=PNR)
    assert application.person.national_id_masked == "********-9876"
    assert "811218" not in (application.person.national_id_encrypted or "")
    with pytest.raises(services.ApplicationError) as caught:
        submit(first_name="Other", national_id="19811218-9877")
    assert "national_id" in caught.value.errors


def test_staff_may_give_the_date_a_paper_application_arrived(submit):
    application = submit(channel=Channel.paper, applied_on="2025-03-04")
    assert application.applied_at.date() == date(2025, 3, 4) and application.channel == Channel.paper
    assert application.queue_rank == initial_rank(False, application.applied_at)


def test_an_arrival_date_in_the_future_is_refused(app):
    form = {**FORM, "applied_on": (date.today() + timedelta(days=1)).isoformat()}
    with app.test_request_context():
        data, errors = schemas.load_form(schemas.VipStaffApplicationInSchema(), form)
    assert data is None and "applied_on" in errors


def test_an_application_for_an_existing_person_adds_no_person(submit, make_person, vip_tenant, db_session):
    existing = make_person(vip_tenant, first_name="Anna", last_name="Berg", phone="0701111111")
    before = _in(vip_tenant, db_session, select(func.count(Person.id)))[0]
    application = submit(person=existing, channel=Channel.paper)
    assert application.person_id == existing.id and application.created_person is False
    assert _in(vip_tenant, db_session, select(func.count(Person.id)))[0] == before
    # Blanks are filled in, what the record holds is not overwritten.
    assert (existing.email, existing.phone) == ("anna.berg@example.org", "0701111111")


def test_a_second_open_application_for_the_same_group_is_refused(submit, app, db_session, vip_tenant):
    """Attaching a paper application to someone already in line for the same audience would
    give them a second place in the line: refused on the field that chose the person."""
    first = submit()
    before = len(_in(vip_tenant, db_session, select(Application)))
    with pytest.raises(services.ApplicationError) as caught:
        submit(person=first.person, channel=Channel.paper)
    assert list(caught.value.errors) == ["person_id"] and "already has an open application" in \
        caught.value.errors["person_id"][0]
    db_session.rollback()
    assert len(_in(vip_tenant, db_session, select(Application))) == before
    # Another audience is another line; an application that ended is no longer open.
    assert submit(person=first.person, channel=Channel.paper, audience="men").person_id == first.person_id
    with tenant_scope(vip_tenant.id):
        db_session.get(Application, first.id).status = ApplicationStatus.withdrawn
        db_session.commit()
    assert submit(person=first.person, channel=Channel.paper).person_id == first.person_id


def test_a_place_in_a_group_not_yet_over_is_an_open_application(submit, app, db_session, vip_tenant):
    first = submit()
    with tenant_scope(vip_tenant.id):
        group = Group(name="Women spring", audience="women", capacity=6, status=GroupStatus.running)
        db_session.add(group)
        db_session.flush()
        placed = db_session.get(Application, first.id)
        placed.status, placed.group_id = ApplicationStatus.placed, group.id
        db_session.commit()
    with pytest.raises(services.ApplicationError):
        submit(person=first.person, channel=Channel.paper)
    db_session.rollback()
    with tenant_scope(vip_tenant.id):
        db_session.get(Group, group.id).status = GroupStatus.finished
        db_session.commit()
    assert submit(person=first.person, channel=Channel.paper, taken_before="yes").status == ApplicationStatus.waiting


# --------------------------------------------------------------------------- the acknowledgement


def _deliver(smtp, tenant, session):
    sender = SmtpSender(host=smtp.host, port=smtp.port, mail_from="Samverka <noreply@samverka.test>", timeout=5)
    with tenant_scope(tenant.id):
        return deliver_outbox(session, sender, datetime.now(timezone.utc) + timedelta(minutes=1))


def test_the_acknowledgement_reaches_the_applicant_through_smtp(submit, smtp, vip_tenant, db_session):
    submit(language="en")
    assert _deliver(smtp, vip_tenant, db_session).sent == 1
    [received] = smtp.messages
    assert received.rcpt_tos == ["anna.berg@example.org"]
    email = received.message
    assert email["Subject"] == "We have got your application for VIP"
    text = email.get_body(("plain",)).get_content()
    assert "Hello Anna!" in text and vip_tenant.name in text
    # Nothing sensitive beyond the first name.
    for secret in ("Berg", "070", "1994", "women", "Women"):
        assert secret not in text
    assert '<html lang="en">' in email.get_body(("html",)).get_content()


def test_the_acknowledgement_is_in_the_language_of_the_form(submit, vip_tenant, db_session):
    application = submit(language="sv")
    [message] = _in(vip_tenant, db_session, select(OutboxMessage))
    assert '<html lang="sv">' in message.body_html
    assert message.idempotency_key == f"vip.ack.{application.id}"


def test_the_acknowledgement_goes_to_the_contact_when_someone_else_is_contacted(submit, smtp, vip_tenant, db_session):
    submit(contact_via="legal_representative", contact_name="Lars Lund", contact_email="lars@example.org")
    _deliver(smtp, vip_tenant, db_session)
    [received] = smtp.messages
    assert received.rcpt_tos == ["lars@example.org"]
    text = received.message.get_body(("plain",)).get_content()
    assert "the application for Anna" in text and "Berg" not in text and "Lars" not in text


def test_without_an_email_address_nothing_is_sent_and_nothing_fails(submit, vip_tenant, db_session):
    application = submit(email=None)
    assert application.id and _in(vip_tenant, db_session, select(OutboxMessage)) == []
    submit(contact_via="guardian", contact_name="Greta", contact_phone="0702222222", email=None)
    assert _in(vip_tenant, db_session, select(OutboxMessage)) == []


# --------------------------------------------------------------------------- duplicates


def _duplicates(app, db_session, vault, tenant, target):
    with app.test_request_context(), tenant_scope(tenant.id):
        return services.possible_duplicates(db_session, vault, target, country=tenant.country)


def test_the_same_name_and_phone_is_a_possible_duplicate(submit, app, db_session, vault, vip_tenant):
    first = submit(phone="070-123 45 67", email=None, birth_year=None)
    second = submit(first_name="anna", last_name="BERG", phone="+46 70 123 45 67", email=None, birth_year=None)
    [found] = _duplicates(app, db_session, vault, vip_tenant, second)
    assert found.person.id == first.person_id and found.reasons == ("name+contact",)
    assert [a.id for a in found.applications] == [first.id]
    # Never merged by itself: two people, each with their own application.
    assert first.person_id != second.person_id
    assert _reload(vip_tenant, db_session, second.id).person_id == second.person_id


def test_the_same_name_and_the_contacts_email_is_a_possible_duplicate(submit, app, db_session, vault, vip_tenant):
    guardian = {"contact_via": "guardian", "contact_name": "Greta Berg", "contact_email": "greta@example.org"}
    first = submit(**guardian)
    second = submit(**{**guardian, "contact_email": "GRETA@example.org"})
    [found] = _duplicates(app, db_session, vault, vip_tenant, second)
    assert found.person.id == first.person_id and "name+contact" in found.reasons


def test_the_same_name_and_birth_year_is_a_possible_duplicate(submit, app, db_session, vault, vip_tenant):
    first = submit(phone="0701111111", email=None, birth_year="1990")
    second = submit(phone="0702222222", email=None, birth_year="1990")
    [found] = _duplicates(app, db_session, vault, vip_tenant, second)
    assert found.person.id == first.person_id and found.reasons == ("name+birth_year",)


def test_the_same_name_alone_is_not_enough(submit, app, db_session, vault, vip_tenant):
    submit(phone="0701111111", email=None, birth_year="1990")
    second = submit(phone="0702222222", email=None, birth_year="1991")
    assert _duplicates(app, db_session, vault, vip_tenant, second) == []


def test_a_shared_contact_with_another_name_is_not_a_duplicate(submit, app, db_session, vault, vip_tenant):
    """A group home's staff member is the contact of several residents."""
    staff = {"contact_via": "contact_person", "contact_name": "Kim", "contact_phone": "016-123456"}
    submit(first_name="Anna", **staff)
    other = submit(first_name="Bodil", **staff)
    assert _duplicates(app, db_session, vault, vip_tenant, other) == []


def test_the_same_national_id_is_found_through_the_blind_index(submit, app, db_session, vault, vip_tenant):
    first = submit(national_id=PNR, channel=Channel.paper)
    candidate = {**FORM, "first_name": "Annie", "last_name": "Lind", "phone": "0705555555", "email": None,
                 "national_id": "198112189876"}
    with app.test_request_context():
        data = schemas.VipStaffApplicationInSchema().load({k: v for k, v in candidate.items() if v})
    [found] = _duplicates(app, db_session, vault, vip_tenant, data)
    assert found.person.id == first.person_id and found.reasons == ("national_id",)
    second = submit(first_name="Annie", last_name="Lind", email=None, phone="0703333333", national_id=PNR)
    [found] = _duplicates(app, db_session, vault, vip_tenant, second)
    assert found.person.id == first.person_id and found.reasons == ("national_id",)


def test_a_candidate_from_the_paper_form_is_checked_before_saving(submit, app, db_session, vault, vip_tenant):
    first = submit(birth_year=None)
    with app.test_request_context():
        data = schemas.VipStaffApplicationInSchema().load({**FORM, "phone": "0701234567", "email": "",
                                                            "birth_year": ""})
    [found] = _duplicates(app, db_session, vault, vip_tenant, data)
    assert found.person.id == first.person_id and found.reasons == ("name+contact",)


def test_another_tenants_people_are_never_duplicates(submit, app, db_session, vault, make_vip_tenant, vip_tenant):
    submit(make_vip_tenant())
    mine = submit()
    assert _duplicates(app, db_session, vault, vip_tenant, mine) == []


def test_the_flags_of_a_page_agree_with_the_duplicates_of_each(submit, app, db_session, vault, vip_tenant):
    a1 = submit(phone="0701234567", email=None)
    a2 = submit(phone="+46701234567", email=None)
    lone = submit(first_name="Bodil", phone="0709999999", email=None)
    by_id = submit(first_name="Carl", last_name="Dahl", email=None, phone="0708888888", national_id=PNR)
    by_id2 = submit(first_name="Karl", last_name="Dal", email=None, phone="0707777777", national_id=PNR)
    with tenant_scope(vip_tenant.id):
        apps = db_session.scalars(select(Application)).all()
        flagged = services.duplicate_flags(db_session, apps)
    assert flagged == {a1.id, a2.id, by_id.id, by_id2.id}
    for application in (a1, a2, lone, by_id, by_id2):
        assert bool(_duplicates(app, db_session, vault, vip_tenant, application)) == (application.id in flagged)


# --------------------------------------------------------------------------- merging


def _merge(app, db_session, tenant, application, into, plugins=("vip",)):
    with app.test_request_context(), tenant_scope(tenant.id):
        application = db_session.get(Application, application.id)
        into = db_session.get(Person, into.id)
        services.merge(db_session, application, into, hooks=_hooks(app, *plugins))
        db_session.commit()


def test_merge_moves_the_application_and_erases_the_person_it_made(submit, app, db_session, make_person, vip_tenant):
    existing = make_person(vip_tenant, first_name="Anna", last_name="Berg")
    application = submit(channel=Channel.paper)
    made = application.person_id
    _merge(app, db_session, vip_tenant, application, existing)
    moved = _reload(vip_tenant, db_session, application.id)
    assert moved.person_id == existing.id and moved.created_person is False and moved.status == ApplicationStatus.waiting
    with tenant_scope(vip_tenant.id):
        assert people.get_person(db_session, made) is None
        # The consent the applicant gave went with the application.
        assert people.has_consent(db_session, db_session.get(Person, existing.id), plugin="vip")
    actions = [e.action for e in _audit(vip_tenant, db_session, AuditEvent.action)]
    assert "vip.application.merge" in actions and "person.erase" in actions


def test_merge_moves_the_other_vip_records_and_folds_outreach(submit, app, db_session, make_person, vip_tenant):
    existing = make_person(vip_tenant, first_name="Anna", last_name="Berg")
    application = submit(audience="women")
    other = submit(person=application.person, audience="men")
    with tenant_scope(vip_tenant.id):
        db_session.add_all([
            Outreach(person_id=application.person_id, service="Daily activity", informed_on=date(2024, 1, 5)),
            Outreach(person_id=existing.id, informed_on=date(2024, 3, 1), offered_on=date(2024, 3, 2), note="Met"),
        ])
        db_session.commit()
    _merge(app, db_session, vip_tenant, application, existing)
    assert _reload(vip_tenant, db_session, other.id).person_id == existing.id
    [outreach] = _in(vip_tenant, db_session, select(Outreach))
    assert (outreach.person_id, outreach.informed_on, outreach.offered_on) == (existing.id, date(2024, 1, 5), date(2024, 3, 2))
    assert outreach.service == "Daily activity" and outreach.note == "Met"


def test_merge_moves_outreach_when_the_person_has_none(submit, app, db_session, make_person, vip_tenant):
    existing = make_person(vip_tenant, first_name="Anna", last_name="Berg")
    application = submit()
    with tenant_scope(vip_tenant.id):
        db_session.add(Outreach(person_id=application.person_id, informed_on=date(2024, 1, 5)))
        db_session.commit()
    _merge(app, db_session, vip_tenant, application, existing)
    [outreach] = _in(vip_tenant, db_session, select(Outreach))
    assert outreach.person_id == existing.id


def test_merge_moves_a_participants_attendance_with_their_place(submit, app, db_session, make_person, vip_tenant):
    """The place, the meetings the participant is expected at and what was recorded there
    all go to the person merged into; the record the application made is then erased."""
    existing = make_person(vip_tenant, first_name="Anna", last_name="Berg")
    application = submit()
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    with tenant_scope(vip_tenant.id):
        group = Group(name="Tuesday group", audience="women", capacity=6, location="Room 1")
        db_session.add(group)
        db_session.flush()
        sessions = [create_session(db_session, {"plugin": "vip", "kind": "group_meeting", "title": f"Meeting {n}",
                                                "starts_at": starts + timedelta(days=7 * n),
                                                "ends_at": starts + timedelta(days=7 * n, hours=2)},
                                   participant_ids=[application.person_id]) for n in (0, 1)]
        db_session.add_all(Meeting(group_id=group.id, session_id=s.id, number=n, theme="Emotions")
                           for n, s in enumerate(sessions, 1))
        placed = db_session.get(Application, application.id)
        placed.status, placed.group_id = ApplicationStatus.placed, group.id
        sessions[0].attendance[0].status = "present"
        db_session.commit()
    made = application.person_id
    _merge(app, db_session, vip_tenant, application, existing)
    rows = _in(vip_tenant, db_session, select(Attendance).order_by(Attendance.session_id))
    assert [(r.person_id, r.status and r.status.value) for r in rows] == [(existing.id, "present"), (existing.id, None)]
    with tenant_scope(vip_tenant.id):
        assert people.get_person(db_session, made) is None


def test_merge_closes_the_second_application_for_the_same_group(submit, app, db_session, vip_tenant):
    first = submit(phone="0701234567", email=None)
    second = submit(phone="0701234567", email=None)
    _merge(app, db_session, vip_tenant, second, first.person)
    kept, closed = _reload(vip_tenant, db_session, first.id), _reload(vip_tenant, db_session, second.id)
    assert kept.status == ApplicationStatus.waiting
    assert (closed.status, closed.closed_reason, closed.person_id) == (ApplicationStatus.closed, "merged", first.person_id)


def test_merge_keeps_a_person_record_that_holds_something_else(submit, app, db_session, vip_tenant):
    application = submit()
    with tenant_scope(vip_tenant.id):
        person = db_session.get(Person, application.person_id)
        people.add_consent(db_session, person, purpose="Newsletter", given_by="self", given_on=date.today())
        db_session.commit()
    into = submit(first_name="Anna", phone="0701234567").person
    _merge(app, db_session, vip_tenant, application, into)
    with tenant_scope(vip_tenant.id):
        assert people.get_person(db_session, application.person_id) is not None


def test_merge_keeps_a_person_the_application_did_not_make(submit, app, db_session, make_person, vip_tenant):
    registered = make_person(vip_tenant, first_name="Anna", last_name="Berg")
    application = submit(person=registered)
    into = make_person(vip_tenant, first_name="Anna", last_name="Berg")
    _merge(app, db_session, vip_tenant, application, into)
    with tenant_scope(vip_tenant.id):
        assert people.get_person(db_session, registered.id) is not None


def test_merging_into_the_applicant_themself_is_refused(submit, app, db_session, vip_tenant):
    application = submit()
    with pytest.raises(services.ApplicationError) as caught:
        _merge(app, db_session, vip_tenant, application, application.person)
    assert "person_id" in caught.value.errors


# --------------------------------------------------------------------------- withdrawal and consent


def _group_and_offer(session, tenant, application, *, status=OfferStatus.open):
    with tenant_scope(tenant.id):
        group = Group(name="Women spring", audience=application.audience, capacity=6)
        session.add(group)
        session.flush()
        offer = Offer(application_id=application.id, group_id=group.id,
                      expires_at=datetime.now(timezone.utc) + timedelta(days=7), status=status, token_hash="a" * 64)
        session.add(offer)
        session.get(Application, application.id).status = ApplicationStatus.offered
        session.commit()
        return group, offer


def test_withdrawing_closes_the_application_and_its_open_offer(submit, app, db_session, vip_tenant):
    application = submit()
    _group, offer = _group_and_offer(db_session, vip_tenant, application)
    with app.test_request_context(), tenant_scope(vip_tenant.id):
        services.withdraw(db_session, db_session.get(Application, application.id), "moved_away")
        db_session.commit()
        offer = db_session.get(Offer, offer.id, populate_existing=True)
        assert (offer.status, offer.token_hash) == (OfferStatus.withdrawn, None)
    withdrawn = _reload(vip_tenant, db_session, application.id)
    assert (withdrawn.status, withdrawn.closed_reason) == (ApplicationStatus.withdrawn, "moved_away")
    assert withdrawn.closed_at is not None
    events = _audit(vip_tenant, db_session, AuditEvent.detail, action="vip.application.withdraw")
    assert [e.detail for e in events] == [{"reason": "moved_away", "was": "offered"}]


def test_a_place_given_up_goes_to_the_next_in_line(submit, app, db_session, vip_tenant):
    """Withdrawing an offered application, a placed one, or the consent: each time the place
    that frees up is offered to the next in line, as when an offer expires."""
    first, second, third, fourth = (submit(first_name=name, phone=f"07012345{n}", email=None)
                                    for n, name in enumerate(("Anna", "Bea", "Cissi", "Dora"), 10))
    group, offer = _group_and_offer(db_session, vip_tenant, first)
    with tenant_scope(vip_tenant.id):
        db_session.get(Group, group.id).capacity = 1
        db_session.commit()

    def offered_to() -> list[int]:
        with tenant_scope(vip_tenant.id):
            return sorted(db_session.scalars(select(Offer.application_id).where(
                Offer.group_id == group.id, Offer.status == OfferStatus.open)
                .execution_options(populate_existing=True)))

    with app.test_request_context(), tenant_scope(vip_tenant.id):
        services.withdraw(db_session, db_session.get(Application, first.id), "moved_away")
        db_session.commit()
    assert offered_to() == [second.id]
    with app.test_request_context(), tenant_scope(vip_tenant.id):
        person = db_session.get(Person, second.person_id)
        for consent in [c for c in person.consents if c.plugin == "vip"]:
            people.withdraw_consent(db_session, consent, date.today(), _hooks(app, "vip"))
        db_session.commit()
    assert offered_to() == [third.id]
    with app.test_request_context(), tenant_scope(vip_tenant.id):
        placed = db_session.get(Application, third.id)
        offers.place(db_session, placed, db_session.get(Group, group.id), now=datetime.now(timezone.utc))
        services.withdraw(db_session, placed, "applicant_asked")
        db_session.commit()
    assert offered_to() == [fourth.id]


@pytest.mark.parametrize("anonymise", [False, True], ids=["erased", "anonymised"])
def test_a_place_held_by_someone_erased_goes_to_the_next_in_line(submit, app, db_session, vip_tenant, anonymise):
    """Erasing or anonymising an applicant with an open offer frees that place (the offer is
    withdrawn, the application gone or closed) and offers it on, as a withdrawal does."""
    first, second = (submit(first_name=name, phone=f"07012345{n}", email=None, contact_via="guardian",
                            contact_name="Greta Guardian", contact_phone="0709999999", needs="A ramp")
                     for n, name in enumerate(("Anna", "Bea"), 10))
    group, offer = _group_and_offer(db_session, vip_tenant, first)
    with tenant_scope(vip_tenant.id):
        db_session.get(Group, group.id).capacity = 1
        db_session.commit()
    with app.test_request_context(), tenant_scope(vip_tenant.id):
        people.erase_person(db_session, _hooks(app, "vip"), db_session.get(Person, first.person_id),
                            anonymise=anonymise)
        db_session.commit()
        open_offers = db_session.scalars(select(Offer.application_id).where(
            Offer.group_id == group.id, Offer.status == OfferStatus.open)).all()
    assert open_offers == [second.id]
    gone = _reload(vip_tenant, db_session, first.id)
    if anonymise:
        assert (gone.status, gone.closed_reason, gone.contact_name, gone.needs) == (
            ApplicationStatus.closed, "anonymised", None, None)
    else:
        assert gone is None


def test_merge_into_someone_anonymised_meanwhile_is_refused(submit, app, db_session, make_person, vip_tenant):
    """The merge locks both people and reads them afresh: a person anonymised since the
    request read them is no one to merge into, and nothing moves."""
    existing = make_person(vip_tenant, first_name="Anna", last_name="Berg")
    application = submit(channel=Channel.paper)
    with app.test_request_context(), tenant_scope(vip_tenant.id):
        stale = db_session.get(Person, existing.id)
        db_session.expunge(stale)  # what the request read before the anonymisation
        people.erase_person(db_session, _hooks(app, "vip"), db_session.get(Person, existing.id), anonymise=True)
        db_session.commit()
        with pytest.raises(services.ApplicationConflict):
            services.merge(db_session, db_session.get(Application, application.id), stale, hooks=_hooks(app, "vip"))
        db_session.rollback()
    assert _reload(vip_tenant, db_session, application.id).person_id == application.person_id


def test_withdrawing_for_someone_erased_meanwhile_is_a_conflict(submit, app, db_session, vip_tenant):
    application = submit()
    with app.test_request_context(), tenant_scope(vip_tenant.id):
        stale = db_session.get(Application, application.id)
        people.erase_person(db_session, _hooks(app, "vip"), db_session.get(Person, application.person_id),
                            anonymise=False)
        db_session.commit()
        with pytest.raises(services.ApplicationConflict):
            services.withdraw(db_session, stale, "applicant_asked")


def test_withdrawing_twice_or_without_a_reason_is_refused(submit, app, db_session, vip_tenant):
    application = submit()
    with app.test_request_context(), tenant_scope(vip_tenant.id):
        target = db_session.get(Application, application.id)
        with pytest.raises(services.ApplicationError):
            services.withdraw(db_session, target, "bored")
        services.withdraw(db_session, target, "applicant_asked")
        with pytest.raises(services.ApplicationConflict):
            services.withdraw(db_session, target, "applicant_asked")


def test_a_participant_who_withdraws_is_no_longer_expected_at_meetings_to_come(submit, app, db_session, vip_tenant):
    application = submit()
    now = datetime.now(timezone.utc)
    with tenant_scope(vip_tenant.id):
        group = Group(name="Women spring", audience="women", capacity=6)
        db_session.add(group)
        db_session.flush()
        sessions = []
        for number, start in ((1, now - timedelta(days=7)), (2, now + timedelta(days=7))):
            scheduled = create_session(db_session, {"plugin": "vip", "kind": "meeting", "title": f"VIP {number}",
                                                    "starts_at": start, "ends_at": start + timedelta(hours=2)},
                                       participant_ids=[application.person_id])
            db_session.add(Meeting(group_id=group.id, session_id=scheduled.id, number=number, theme="Emotions"))
            sessions.append(scheduled.id)
        placed = db_session.get(Application, application.id)
        placed.status, placed.group_id, placed.placed_at = ApplicationStatus.placed, group.id, now
        db_session.commit()
    with app.test_request_context(), tenant_scope(vip_tenant.id):
        services.withdraw(db_session, db_session.get(Application, application.id), "applicant_asked")
        db_session.commit()
        left = db_session.scalars(select(Attendance.session_id).where(Attendance.person_id == application.person_id)).all()
    assert left == [sessions[0]]  # the past meeting stays on record, the coming one is gone


def test_withdrawing_consent_closes_the_applications_in_line(submit, app, db_session, vip_tenant):
    application = submit(audience="women")
    placed = submit(person=application.person, audience="men")
    _group, offer = _group_and_offer(db_session, vip_tenant, application)
    with tenant_scope(vip_tenant.id):
        db_session.get(Application, placed.id).status = ApplicationStatus.placed
        db_session.commit()
        person = db_session.get(Person, application.person_id)
        consents = [c for c in person.consents if c.plugin == "vip"]
        for consent in consents:
            people.withdraw_consent(db_session, consent, date.today(), _hooks(app, "vip"))
        db_session.commit()
        assert db_session.get(Offer, offer.id, populate_existing=True).status == OfferStatus.withdrawn
    closed = _reload(vip_tenant, db_session, application.id)
    assert (closed.status, closed.closed_reason) == (ApplicationStatus.closed, "consent_withdrawn")
    assert _reload(vip_tenant, db_session, placed.id).status == ApplicationStatus.placed


def test_another_vip_consent_in_force_keeps_the_application(submit, app, db_session, vip_tenant):
    application = submit()
    second = submit(person=application.person, audience="men")
    with tenant_scope(vip_tenant.id):
        person = db_session.get(Person, application.person_id)
        first_consent = [c for c in person.consents if c.plugin == "vip"][0]
        people.withdraw_consent(db_session, first_consent, date.today(), _hooks(app, "vip"))
        db_session.commit()
    assert _reload(vip_tenant, db_session, application.id).status == ApplicationStatus.waiting
    assert _reload(vip_tenant, db_session, second.id).status == ApplicationStatus.waiting


def test_a_consent_of_another_programme_changes_nothing(submit, app, db_session, vip_tenant):
    application = submit()
    with tenant_scope(vip_tenant.id):
        person = db_session.get(Person, application.person_id)
        other = people.add_consent(db_session, person, purpose="Other", given_by="self", given_on=date.today(),
                                   plugin="sample")
        people.withdraw_consent(db_session, other, date.today(), _hooks(app, "vip"))
        db_session.commit()
    assert _reload(vip_tenant, db_session, application.id).status == ApplicationStatus.waiting


# --------------------------------------------------------------------------- staff pages


@pytest.fixture
def staff(client, coordinator, vip_tenant):
    login(client, coordinator, language="en")
    return client, f"/t/{vip_tenant.slug}/vip"


def test_the_list_filters_by_group_status_and_channel(staff, submit):
    client, base = staff
    submit(first_name="Wilma", audience="women")
    submit(first_name="Max", last_name="Ek", audience="men", channel=Channel.paper)
    withdrawn = submit(first_name="Vera", last_name="Ny", audience="women")
    client.post(f"{base}/applications/{withdrawn.id}/withdraw", data={"reason": "moved_away"})
    page = client.get(f"{base}/applications/").text
    assert all(name in page for name in ("Berg, Wilma", "Ek, Max", "Ny, Vera"))
    men = client.get(f"{base}/applications/?audience=men").text
    assert "Ek, Max" in men and "Wilma" not in men
    paper = client.get(f"{base}/applications/?channel=paper").text
    assert "Ek, Max" in paper and "Wilma" not in paper
    gone = client.get(f"{base}/applications/?status=withdrawn").text
    assert "Ny, Vera" in gone and "Wilma" not in gone
    # Unknown filter values are ignored, never an error.
    assert client.get(f"{base}/applications/?audience=x&status=y&channel=z&page=abc").status_code == 200


def test_the_list_flags_possible_duplicates(staff, submit):
    client, base = staff
    submit(phone="0701234567", email=None)
    submit(phone="070-123 45 67", email=None)
    submit(first_name="Bodil", phone="0709999999", email=None)
    page = re.sub(r"\s+", " ", client.get(f"{base}/applications/").text)
    rows = re.findall(r"<tr> <td><a href=\"[^\"]+\">([^<]+)</a>.*?</tr>", page)
    assert sorted(rows) == ["Berg, Anna", "Berg, Anna", "Berg, Bodil"]
    assert page.count("Possible duplicate") == 2


def test_the_list_is_paginated(staff, submit, vip_tenant, db_session):
    client, base = staff
    for n in range(51):
        submit(first_name=f"P{n:02d}", email=None, phone=f"07000000{n:02d}")
    first = client.get(f"{base}/applications/").text
    assert "51 applications" in first and 'rel="next"' in first
    second = client.get(f"{base}/applications/?page=2").text
    assert second.count("/vip/applications/") - second.count("/vip/applications/new") >= 1 and "P00" in second


def test_the_list_runs_a_constant_number_of_queries(staff, submit, query_counter):
    client, base = staff
    submit(phone="0701234567", email=None)

    def grow():
        for n in range(8):
            submit(first_name=f"Name{n}", phone="0701234567", email=None, national_id=None)
            submit(first_name=f"Name{n}", phone="0701234567", email=None, contact_via="guardian",
                   contact_name="G", contact_phone="0709")

    query_counter.assert_constant(client, [f"{base}/applications/", f"{base}/applications/?audience=women"], grow)


def test_the_pages_need_the_applications_permission(client, make_user, vip_tenant, submit):
    application = submit()
    login(client, make_user(("vip.leader", vip_tenant)), language="en")
    base = f"/t/{vip_tenant.slug}/vip"
    for path in ("/applications/", f"/applications/{application.id}", "/applications/new"):
        assert client.get(base + path).status_code == 403
    assert client.post(f"{base}/applications/{application.id}/withdraw", data={"reason": "other"}).status_code == 403


def test_the_detail_page_shows_the_application_and_audits_the_read(staff, submit, db_session, vip_tenant):
    client, base = staff
    application = submit(contact_via="guardian", contact_name="Greta Berg", contact_phone="0705555555",
                         needs="Hearing loop", interpreter_needed="yes", interpreter_language="Arabic")
    page = client.get(f"{base}/applications/{application.id}").text
    for shown in ("Anna Berg", "Greta Berg", "0705555555", "Hearing loop", "Arabic"):
        assert shown in page
    reads = [e.object_id for e in _audit(vip_tenant, db_session, AuditEvent.object_id, action="person.read")]
    assert reads == [str(application.person_id)]


def test_another_tenants_application_is_not_found(staff, submit, make_vip_tenant):
    client, base = staff
    other = submit(make_vip_tenant())
    assert client.get(f"{base}/applications/{other.id}").status_code == 404
    assert client.post(f"{base}/applications/{other.id}/withdraw", data={"reason": "other"}).status_code == 404
    assert client.post(f"{base}/applications/{other.id}/merge", data={"person_id": "1", "confirm": "yes"}).status_code == 404


def test_merge_on_the_page_needs_the_confirmation(staff, submit, vip_tenant, db_session):
    client, base = staff
    first = submit(phone="0701234567", email=None)
    second = submit(phone="0701234567", email=None, audience="men")
    page = client.get(f"{base}/applications/{second.id}").text
    assert f'name="person_id" value="{first.person_id}"' in page
    refused = client.post(f"{base}/applications/{second.id}/merge", data={"person_id": str(first.person_id)})
    assert refused.status_code == 422 and f'id="confirm-{first.person_id}-error"' in refused.text
    assert _reload(vip_tenant, db_session, second.id).person_id == second.person_id
    done = client.post(f"{base}/applications/{second.id}/merge",
                       data={"person_id": str(first.person_id), "confirm": "yes"})
    assert done.status_code == 302
    assert _reload(vip_tenant, db_session, second.id).person_id == first.person_id
    for bad in ("", "abc", "99999999999", "0", "\u00b2", "-1"):
        response = client.post(f"{base}/applications/{second.id}/merge", data={"person_id": bad, "confirm": "yes"})
        assert response.status_code == 422 and 'id="person_id-error"' in response.text


def test_withdrawal_on_the_page(staff, submit, vip_tenant, db_session):
    client, base = staff
    application = submit()
    missing = client.post(f"{base}/applications/{application.id}/withdraw", data={"reason": ""})
    assert missing.status_code == 422 and 'id="reason-error"' in missing.text
    assert client.post(f"{base}/applications/{application.id}/withdraw",
                       data={"reason": "not_reached"}).status_code == 302
    assert _reload(vip_tenant, db_session, application.id).status == ApplicationStatus.withdrawn
    again = client.post(f"{base}/applications/{application.id}/withdraw", data={"reason": "not_reached"})
    assert again.status_code == 409


def test_the_paper_form_keeps_what_was_typed_and_marks_each_error(staff):
    client, base = staff
    response = client.post(f"{base}/applications/new", data={
        **FORM, "last_name": "", "email": "not-an-email", "phone": "", "interpreter_needed": "yes",
        "national_id": "19811218-9877", "needs": "Ramp"})
    assert response.status_code == 422
    page = re.sub(r"\s+", " ", response.text)
    assert 'value="Anna"' in page and 'value="not-an-email"' in page and ">Ramp</textarea>" in page
    assert 'id="interpreter_needed-yes" name="interpreter_needed" value="yes" checked' in page
    for field in ("last_name", "email", "interpreter_language"):
        assert f'id="{field}-error"' in page and f'href="#{field}"' in page
    assert "811218" not in page  # a national ID is never echoed back


def test_a_wrong_national_id_on_the_paper_form_is_shown_by_the_field(staff):
    client, base = staff
    response = client.post(f"{base}/applications/new", data={**FORM, "national_id": "19811218-9877"})
    assert response.status_code == 422 and 'id="national_id-error"' in response.text
    assert "811218" not in response.text


def test_the_paper_form_checks_duplicates_before_saving(staff, submit, vip_tenant, db_session):
    client, base = staff
    existing = submit(phone="0701234567", email=None)
    typed = {**FORM, "phone": "070 123 45 67", "email": "", "audience": "men"}
    shown = client.post(f"{base}/applications/new", data=typed)
    assert shown.status_code == 409 and f'value="{existing.person_id}"' in shown.text
    assert 'value="070 123 45 67"' in shown.text
    assert len(_in(vip_tenant, db_session, select(Application))) == 1  # nothing saved yet

    attached = client.post(f"{base}/applications/new", data={**typed, "duplicate_choice": str(existing.person_id)})
    assert attached.status_code == 302
    new_id = int(re.search(r"/applications/(\d+)$", attached.headers["Location"]).group(1))
    saved = _reload(vip_tenant, db_session, new_id)
    assert (saved.person_id, saved.channel, saved.created_person) == (existing.person_id, Channel.paper, False)

    separate = client.post(f"{base}/applications/new", data={**typed, "duplicate_choice": "new"})
    assert separate.status_code == 302
    new_id = int(re.search(r"/applications/(\d+)$", separate.headers["Location"]).group(1))
    assert _reload(vip_tenant, db_session, new_id).person_id not in (existing.person_id,)


def test_the_paper_form_refuses_a_second_place_in_the_line(staff, submit, vip_tenant, db_session):
    client, base = staff
    existing = submit(phone="0701234567", email=None)
    typed = {**FORM, "phone": "070 123 45 67", "email": "", "duplicate_choice": str(existing.person_id)}
    response = client.post(f"{base}/applications/new", data=typed)
    assert response.status_code == 422 and 'id="duplicate_choice-error"' in response.text
    assert "already has an open application" in response.text and 'value="070 123 45 67"' in response.text
    assert len(_in(vip_tenant, db_session, select(Application))) == 1


def test_the_paper_form_refuses_attaching_to_an_unknown_person(staff, submit, make_vip_tenant):
    client, base = staff
    stranger = submit(make_vip_tenant())
    response = client.post(f"{base}/applications/new", data={**FORM, "duplicate_choice": str(stranger.person_id)})
    assert response.status_code == 422 and 'id="duplicate_choice-error"' in response.text
    # Not an id at all: no choice made, so the form checks for duplicates (there are none here) and saves.
    assert client.post(f"{base}/applications/new", data={**FORM, "duplicate_choice": "\u00b2"}).status_code == 302


def test_the_paper_service_refuses_while_duplicates_exist_unless_staff_choose(app, submit, vault, vip_tenant,
                                                                              db_session):
    from core.errors import FieldError

    existing = submit(phone="0701234567", email=None)
    with app.test_request_context(), tenant_scope(vip_tenant.id):
        data = schemas.VipStaffApplicationInSchema().load({**FORM, "phone": "070 123 45 67", "email": "",
                                                           "audience": "men"})
        with pytest.raises(services.PossibleDuplicates) as raised:
            services.submit_paper_application(db_session, vault, data, chosen=None, as_new=False,
                                              country=vip_tenant.country)
        assert raised.value.errors == {"duplicate_choice": []}
        with pytest.raises(FieldError) as refused:
            services.submit_paper_application(db_session, vault, data, chosen=10**8, as_new=False,
                                              country=vip_tenant.country)
        assert refused.value.errors == {"duplicate_choice": ["Choose one of the people shown."]}
        application, person = services.submit_paper_application(db_session, vault, data, chosen=None, as_new=True,
                                                                 country=vip_tenant.country)
        assert person is None and application.person_id != existing.person_id
        db_session.rollback()


def test_a_paper_application_without_duplicates_is_saved_at_once(staff, vip_tenant, db_session):
    client, base = staff
    response = client.post(f"{base}/applications/new", data={**FORM, "applied_on": "2025-02-01", "language": "fi",
                                                             "national_id": PNR})
    assert response.status_code == 302
    [application] = _in(vip_tenant, db_session, select(Application))
    assert application.channel == Channel.paper and application.applied_at.date() == date(2025, 2, 1)
    with tenant_scope(vip_tenant.id):
        person = db_session.get(Person, application.person_id)
        assert (person.preferred_language, person.national_id_masked) == ("fi", "********-9876")
