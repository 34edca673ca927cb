"""The outbox: queueing in a tenant, delivery through a real SMTP server, retries and keys."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import TenancyError, tenant_scope
from core.jobs.models import OutboxMessage, OutboxStatus
from core.jobs.services import (
    MAX_ATTEMPTS,
    OUTBOX_RETENTION,
    DeliveryReport,
    deliver_outbox,
    enqueue_email,
    redact_old_messages,
    retry_delay,
)
from tests.core.jobs.conftest import NOW
from core.testing.smtp import REFUSED_DOMAIN


def _enqueue(session, tenant, **kwargs):
    fields = {"to": "anna@example.org", "subject": "Welcome", "text": "Hello Anna", **kwargs}
    with tenant_scope(tenant.id):
        message = enqueue_email(session, **fields)
        session.commit()
    return message


def _deliver(session, tenant, sender, now=NOW, **kwargs):
    with tenant_scope(tenant.id):
        return deliver_outbox(session, sender, now, **kwargs)


def _reload(session, tenant, message):
    with tenant_scope(tenant.id):
        return session.scalars(select(OutboxMessage).where(OutboxMessage.id == message.id)
                               .execution_options(populate_existing=True)).one()


def test_an_email_goes_out_through_smtp_and_is_marked_sent(db_session, make_tenant, smtp, sender):
    tenant = make_tenant()
    message = _enqueue(db_session, tenant, subject="Välkommen", text="Hej Anna", html="<p>Hej <b>Anna</b></p>")

    assert _deliver(db_session, tenant, sender) == DeliveryReport(sent=1)

    [received] = smtp.messages
    assert received.rcpt_tos == ["anna@example.org"]
    assert received.mail_from == "noreply@samverka.test"
    email = received.message
    assert email["Subject"] == "Välkommen" and email["To"] == "anna@example.org"
    assert email["Message-ID"] == f"<outbox.{tenant.id}.{message.id}@samverka.test>"
    assert email.get_body(("plain",)).get_content().strip() == "Hej Anna"
    assert email.get_body(("html",)).get_content().strip() == "<p>Hej <b>Anna</b></p>"
    stored = _reload(db_session, tenant, message)
    assert (stored.status, stored.attempts, stored.last_error) == (OutboxStatus.sent, 1, None)
    assert stored.sent_at is not None


def test_a_sent_message_is_not_sent_again(db_session, make_tenant, smtp, sender):
    tenant = make_tenant()
    _enqueue(db_session, tenant)
    _deliver(db_session, tenant, sender)
    assert _deliver(db_session, tenant, sender, NOW + timedelta(days=1)) == DeliveryReport()
    assert len(smtp.messages) == 1


def test_a_rolled_back_enqueue_sends_nothing(db_session, make_tenant, smtp, sender):
    tenant = make_tenant()
    with tenant_scope(tenant.id):
        enqueue_email(db_session, to="anna@example.org", subject="Hi", text="Hi")
        db_session.rollback()
    assert _deliver(db_session, tenant, sender) == DeliveryReport()
    assert smtp.messages == []


def test_enqueue_outside_a_tenant_is_refused(db_session):
    with pytest.raises(TenancyError):
        enqueue_email(db_session, to="anna@example.org", subject="Hi", text="Hi")


@pytest.mark.parametrize(("fields", "error"), [
    ({"to": "anna@example.org\nBcc: eve@example.org"}, "to must be a single line"),
    ({"subject": "Hi\r\nBcc: eve@example.org"}, "subject must be a single line"),
    ({"to": "not an address"}, "to must be an email address"),
    ({"subject": "x" * 256}, "subject must be at most 255 characters"),
])
def test_enqueue_refuses_what_would_break_the_headers(db_session, make_tenant, fields, error):
    tenant = make_tenant()
    with tenant_scope(tenant.id), pytest.raises(ValueError, match=error):
        enqueue_email(db_session, **{"to": "anna@example.org", "subject": "Hi", "text": "Hi", **fields})


def test_the_same_key_queues_one_message(db_session, make_tenant, smtp, sender):
    tenant = make_tenant()
    first = _enqueue(db_session, tenant, key="reminder:42")
    again = _enqueue(db_session, tenant, key="reminder:42", subject="Changed")
    _deliver(db_session, tenant, sender)
    after_sending = _enqueue(db_session, tenant, key="reminder:42")
    _deliver(db_session, tenant, sender)

    assert first.id == again.id == after_sending.id
    assert [r.message["Subject"] for r in smtp.messages] == ["Welcome"]
    with tenant_scope(tenant.id):
        assert len(db_session.scalars(select(OutboxMessage)).all()) == 1


def test_the_same_key_in_another_tenant_is_another_message(db_session, make_tenant, smtp, sender):
    a, b = make_tenant(), make_tenant()
    in_a = _enqueue(db_session, a, key="reminder:42")
    in_b = _enqueue(db_session, b, key="reminder:42")
    assert in_a.id != in_b.id
    _deliver(db_session, a, sender)
    _deliver(db_session, b, sender)
    assert len(smtp.messages) == 2


def test_delivery_in_a_tenant_sends_its_own_messages(db_session, make_tenant, smtp, sender):
    a = make_tenant()
    _enqueue(db_session, a, to="a@example.org")
    assert _deliver(db_session, a, sender).sent == 1
    assert [r.rcpt_tos for r in smtp.messages] == [["a@example.org"]]


def test_delivery_in_a_tenant_leaves_other_tenants_messages(db_session, make_tenant, smtp, sender):
    a, b = make_tenant(), make_tenant()
    message = _enqueue(db_session, b, to="b@example.org")
    assert _deliver(db_session, a, sender) == DeliveryReport()
    assert smtp.messages == []
    assert _reload(db_session, b, message).status is OutboxStatus.pending


def test_a_failed_send_is_kept_and_retried_with_backoff(db_session, make_tenant, smtp, sender, dead_sender):
    tenant = make_tenant()
    message = _enqueue(db_session, tenant)

    assert _deliver(db_session, tenant, dead_sender, NOW) == DeliveryReport(retrying=1)
    stored = _reload(db_session, tenant, message)
    assert (stored.status, stored.attempts) == (OutboxStatus.pending, 1)
    assert stored.last_error == "ConnectionRefusedError: Connection refused"
    assert stored.next_attempt_at.replace(tzinfo=None) == (NOW + timedelta(minutes=1)).replace(tzinfo=None)

    # Not yet due: the live server gets nothing.
    assert _deliver(db_session, tenant, sender, NOW + timedelta(seconds=59)) == DeliveryReport()
    second = NOW + timedelta(minutes=1)
    assert _deliver(db_session, tenant, dead_sender, second) == DeliveryReport(retrying=1)
    assert _deliver(db_session, tenant, sender, second + timedelta(minutes=4)) == DeliveryReport()
    assert _deliver(db_session, tenant, sender, second + timedelta(minutes=5)) == DeliveryReport(sent=1)

    assert len(smtp.messages) == 1
    stored = _reload(db_session, tenant, message)
    assert (stored.status, stored.attempts) == (OutboxStatus.sent, 3)


def test_retry_delay_grows_five_fold_up_to_six_hours():
    assert [retry_delay(n) for n in range(1, 7)] == [
        timedelta(minutes=m) for m in (1, 5, 25, 125, 360, 360)
    ]


def test_a_message_fails_for_good_after_the_last_attempt(db_session, make_tenant, dead_sender, caplog):
    tenant = make_tenant()
    message = _enqueue(db_session, tenant)
    now = NOW
    reports = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        reports.append(_deliver(db_session, tenant, dead_sender, now))
        now += retry_delay(attempt)

    assert reports[:-1] == [DeliveryReport(retrying=1)] * (MAX_ATTEMPTS - 1)
    assert reports[-1] == DeliveryReport(failed=1)
    assert _deliver(db_session, tenant, dead_sender, now + timedelta(days=30)) == DeliveryReport()
    stored = _reload(db_session, tenant, message)
    assert (stored.status, stored.attempts) == (OutboxStatus.failed, MAX_ATTEMPTS)
    assert "failed for good" in caplog.text


def test_a_refused_recipient_is_retried_and_never_written_down(db_session, make_tenant, smtp, sender, caplog):
    tenant = make_tenant()
    address = f"nobody@{REFUSED_DOMAIN}"
    message = _enqueue(db_session, tenant, to=address)

    assert _deliver(db_session, tenant, sender) == DeliveryReport(retrying=1)

    stored = _reload(db_session, tenant, message)
    assert stored.last_error == "SMTPRecipientsRefused 550"
    assert address not in caplog.text and smtp.messages == []


def test_a_broken_sender_does_not_lose_the_message(db_session, make_tenant, caplog):
    class Broken:
        channel = "email"

        def send(self, message):
            raise RuntimeError("bug")

    tenant = make_tenant()
    message = _enqueue(db_session, tenant)
    assert _deliver(db_session, tenant, Broken()) == DeliveryReport(retrying=1)
    stored = _reload(db_session, tenant, message)
    assert (stored.status, stored.last_error) == (OutboxStatus.pending, "RuntimeError")


def test_a_sender_only_takes_messages_of_its_channel(db_session, make_tenant):
    class Sms:
        channel = "sms"

        def __init__(self):
            self.sent = []

        def send(self, message):
            self.sent.append(message.id)

    tenant = make_tenant()
    _enqueue(db_session, tenant)
    sms = Sms()
    assert _deliver(db_session, tenant, sms) == DeliveryReport() and sms.sent == []


def test_a_batch_sends_at_most_its_size(db_session, make_tenant, smtp, sender):
    tenant = make_tenant()
    for n in range(3):
        _enqueue(db_session, tenant, subject=f"Message {n}")
    assert _deliver(db_session, tenant, sender, batch=2).sent == 2
    assert _deliver(db_session, tenant, sender, batch=2).sent == 1
    assert sorted(r.message["Subject"] for r in smtp.messages) == ["Message 0", "Message 1", "Message 2"]


def test_retention_blanks_old_finished_messages_and_keeps_their_key(db_session, make_tenant, sender, dead_sender):
    tenant = make_tenant()
    old_sent = _enqueue(db_session, tenant, key="old")
    _deliver(db_session, tenant, sender)
    old_pending = _enqueue(db_session, tenant, to="waiting@example.org")
    _deliver(db_session, tenant, dead_sender)
    recent_sent = _enqueue(db_session, tenant, to="recent@example.org")
    _deliver(db_session, tenant, sender)
    later = NOW + OUTBOX_RETENTION + timedelta(days=1)
    with tenant_scope(tenant.id):
        for message in (old_sent, old_pending):
            _reload(db_session, tenant, message).created_at = NOW
        _reload(db_session, tenant, recent_sent).created_at = later - timedelta(days=1)
        db_session.commit()

        assert redact_old_messages(db_session, tenant, later) == 1
        assert redact_old_messages(db_session, tenant, later) == 0
        again = enqueue_email(db_session, to="anna@example.org", subject="Welcome", text="Hello", key="old")

    redacted = _reload(db_session, tenant, old_sent)
    assert (redacted.recipient, redacted.subject, redacted.body_text, redacted.body_html) == ("", "", "", None)
    assert redacted.idempotency_key == "old" and again.id == old_sent.id
    assert _reload(db_session, tenant, old_pending).recipient == "waiting@example.org"
    assert _reload(db_session, tenant, recent_sent).recipient == "recent@example.org"
