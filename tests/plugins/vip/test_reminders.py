"""Reminders before each VIP meeting: who gets one, in what words, once, and really delivered."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.db import tenant_scope
from core.jobs.mail import SmtpSender
from core.jobs.models import OutboxMessage
from core.jobs.services import run_due_jobs
from core.people.models import Consent
from core.people.services import withdraw_consent
from core.sessions.models import AttendanceStatus
from plugins.vip.models import ContactVia
from plugins.vip.services import meetings as meeting_services
from tests.plugins.vip.test_groups import FIRST, form, generate, place, reload, trained

#: Ten hours before the first meeting (13:00 in Stockholm, Tuesday 6 May 2031).
BEFORE = FIRST - timedelta(hours=10)


@pytest.fixture
def group(db_session, vip_tenant, trained_leaders):
    return form(db_session, vip_tenant, trained_leaders)


def _remind(app, db_session, tenant, now=BEFORE) -> int:
    with app.app_context(), tenant_scope(tenant.id):
        queued = meeting_services.send_reminders(db_session, tenant, now)
        db_session.commit()
        return queued


def _outbox(db_session, tenant):
    with tenant_scope(tenant.id):
        return db_session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.startswith("vip.reminder."))
                                  .order_by(OutboxMessage.id)).all()


def test_each_participant_gets_one_reminder_in_plain_words(app, db_session, vip_tenant, group, make_person):
    sara = place(db_session, make_person, vip_tenant, group, first_name="Sara", last_name="Lind",
                 email="sara@example.org", preferred_language="en")
    generate(db_session, vip_tenant, group)
    meeting = reload(db_session, vip_tenant, group.id).meetings[0]
    assert _remind(app, db_session, vip_tenant) == 1
    [message] = _outbox(db_session, vip_tenant)
    assert message.recipient == "sara@example.org"
    assert message.idempotency_key == f"vip.reminder.{meeting.id}.{sara.id}"
    assert message.subject == "Reminder: VIP meeting Tuesday, May 6, 2031 at 1:00\u202fPM"
    text = message.body_text
    for line in ("Hello Sara,", "You have a VIP meeting soon.", "Day: Tuesday, May 6, 2031.",
                 "Time: 1:00\u202fPM to 3:00\u202fPM.", "Place: Room A.", "We talk about: Emotions.",
                 "It is meeting 1 of 12.", "There is coffee or tea.", "Can you not come? Tell your group leaders."):
        assert line in text
    assert "Lind" not in text  # the first name is enough
    assert "<strong>Place: Room A.</strong>" in message.body_html and 'lang="en"' in message.body_html


def test_a_reminder_is_queued_once_however_often_the_job_runs(app, db_session, vip_tenant, group, make_person):
    place(db_session, make_person, vip_tenant, group, email="a@example.org")
    place(db_session, make_person, vip_tenant, group, email="b@example.org")
    generate(db_session, vip_tenant, group)
    assert _remind(app, db_session, vip_tenant) == 2
    assert _remind(app, db_session, vip_tenant) == 0
    assert _remind(app, db_session, vip_tenant, BEFORE + timedelta(hours=5)) == 0
    assert len(_outbox(db_session, vip_tenant)) == 2


def test_only_meetings_within_the_reminder_hours(app, db_session, make_vip_tenant, make_user, make_person):
    tenant = make_vip_tenant(reminder_hours=48)
    group = form(db_session, tenant, [trained(db_session, make_user, tenant, f"L{n}") for n in (1, 2)])
    place(db_session, make_person, tenant, group, email="a@example.org")
    generate(db_session, tenant, group)
    assert _remind(app, db_session, tenant, FIRST - timedelta(hours=49)) == 0
    assert _remind(app, db_session, tenant, FIRST - timedelta(hours=47)) == 1
    assert _remind(app, db_session, tenant, FIRST) == 0  # meeting 1 has begun, meeting 2 is a week away
    assert _remind(app, db_session, tenant, FIRST + timedelta(days=6)) == 1  # meeting 2


def test_the_contact_gets_it_when_the_application_says_so(app, db_session, vip_tenant, group, make_person):
    place(db_session, make_person, vip_tenant, group, first_name="Omar", last_name="Haddad", email="omar@example.org",
          preferred_language="en",
          contact_via=ContactVia.guardian, contact_email="guardian@example.org")
    generate(db_session, vip_tenant, group)
    assert _remind(app, db_session, vip_tenant) == 1
    [message] = _outbox(db_session, vip_tenant)
    assert message.recipient == "guardian@example.org"
    assert "This is a reminder for Omar Haddad." in message.body_text
    assert "Omar has a VIP meeting soon." in message.body_text and "Hello," in message.body_text
    assert "Can Omar not come? Tell the group leaders." in message.body_text
    assert "The group leaders are Leader 1 and Leader 2." in message.body_text


def test_nobody_without_consent_an_address_or_a_place_is_reminded(app, db_session, vip_tenant, group, make_person):
    from core.sessions.models import Attendance

    withdrawn = place(db_session, make_person, vip_tenant, group, email="withdrawn@example.org")
    place(db_session, make_person, vip_tenant, group, email="never@example.org", consent=False)
    place(db_session, make_person, vip_tenant, group)  # no email
    place(db_session, make_person, vip_tenant, group, email="own@example.org", contact_via=ContactVia.guardian)
    sorry = place(db_session, make_person, vip_tenant, group, email="sorry@example.org")
    place(db_session, make_person, vip_tenant, group, email="yes@example.org")
    generate(db_session, vip_tenant, group)
    with tenant_scope(vip_tenant.id):
        consent = db_session.scalar(select(Consent).where(Consent.person_id == withdrawn.id))
        withdraw_consent(db_session, consent, date.today())
        meeting = reload(db_session, vip_tenant, group.id).meetings[0]
        meeting_services.record(db_session, meeting_services.get_meeting(db_session, meeting.id),
                                {sorry.id: AttendanceStatus.absent_with_notice})
        # Someone in the meeting's attendance without a place in the group (their application ended).
        outsider = make_person(vip_tenant, email="outsider@example.org")
        db_session.add(Attendance(session_id=meeting.session_id, person_id=outsider.id))
        db_session.commit()
    assert _remind(app, db_session, vip_tenant) == 1
    assert [m.recipient for m in _outbox(db_session, vip_tenant)] == ["yes@example.org"]


def test_no_reminders_for_cancelled_meetings_or_groups(app, db_session, vip_tenant, group, make_person,
                                                      trained_leaders):
    from plugins.vip.services import groups as group_services

    place(db_session, make_person, vip_tenant, group, email="a@example.org")
    generate(db_session, vip_tenant, group)
    with tenant_scope(vip_tenant.id):
        meeting = reload(db_session, vip_tenant, group.id).meetings[0]
        meeting.session.cancelled = True
        db_session.commit()
    assert _remind(app, db_session, vip_tenant) == 0
    other = form(db_session, vip_tenant, trained_leaders, name="Men", audience="men", location="Room B")
    place(db_session, make_person, vip_tenant, other, email="b@example.org")
    generate(db_session, vip_tenant, other, first=FIRST + timedelta(days=1))
    with tenant_scope(vip_tenant.id):
        group_services.cancel_group(db_session, reload(db_session, vip_tenant, other.id), now=BEFORE)
        db_session.commit()
    assert _remind(app, db_session, vip_tenant, BEFORE + timedelta(days=1)) == 0


def test_reminders_go_out_through_the_due_jobs_and_smtp_once(app, db_session, vip_tenant, group, make_person, smtp):
    place(db_session, make_person, vip_tenant, group, first_name="Sara", email="sara@example.org",
          preferred_language="en")
    generate(db_session, vip_tenant, group)
    sender = SmtpSender(host=smtp.host, port=smtp.port, mail_from="VIP <vip@samverka.test>", timeout=5)
    with app.app_context():
        run_due_jobs(db_session, app.extensions["samverka"], BEFORE, sender=sender)
        run_due_jobs(db_session, app.extensions["samverka"], BEFORE + timedelta(minutes=20), sender=sender)
    delivered = [m for m in smtp.messages if m.rcpt_tos == ["sara@example.org"]]
    assert len(delivered) == 1
    email = delivered[0].message
    assert email["Subject"].startswith("Reminder: VIP meeting")
    body = email.get_body(("plain",)).get_content()
    assert "Hello Sara," in body and "There is coffee or tea." in body and "Place: Room A." in body
