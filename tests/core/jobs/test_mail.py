"""The SMTP sender: settings, the MIME message, AUTH against a real server, safe error text."""

import smtplib
from dataclasses import replace

import pytest

from core.jobs.mail import DeliveryError, SmtpSender, describe_failure
from core.jobs.models import OutboxMessage
from tests.fixtures.smtp import SMTP_PASSWORD, SMTP_USER


def _message(**fields) -> OutboxMessage:
    return OutboxMessage(id=7, tenant_id=3, recipient="anna@example.org", subject="Hi", body_text="Hello", **fields)


def test_the_sender_takes_its_settings(test_settings):
    settings = replace(test_settings, smtp_host="mail.example.org", smtp_port=587, smtp_user="u",
                       smtp_password="p", smtp_starttls=True, mail_from="Kommunen <no-reply@example.org>")
    assert SmtpSender.from_settings(settings) == SmtpSender(
        host="mail.example.org", port=587, mail_from="Kommunen <no-reply@example.org>", user="u", password="p",
        starttls=True,
    )


def test_a_text_only_message_is_a_single_plain_part():
    email = SmtpSender(host="localhost", port=25, mail_from="Kommunen <no-reply@example.org>").build(_message())
    assert email.get_content_type() == "text/plain"
    assert email["Message-ID"] == "<outbox.3.7@example.org>"


def test_the_sender_signs_in_when_it_has_an_account(smtp):
    sender = SmtpSender(host=smtp.host, port=smtp.port, mail_from="a@example.org", user=SMTP_USER, password=SMTP_PASSWORD)
    sender.send(_message())
    assert [r.login for r in smtp.messages] == [SMTP_USER]


def test_a_wrong_password_is_a_delivery_error_naming_only_the_code(smtp):
    sender = SmtpSender(host=smtp.host, port=smtp.port, mail_from="a@example.org", user=SMTP_USER, password="wrong")
    with pytest.raises(DeliveryError, match="^SMTPAuthenticationError 535$"):
        sender.send(_message())
    assert smtp.messages == []


@pytest.mark.parametrize(("error", "described"), [
    (smtplib.SMTPResponseException(554, b"<anna@example.org> rejected"), "SMTPResponseException 554"),
    (smtplib.SMTPRecipientsRefused({"anna@example.org": (550, b"<anna@example.org> unknown")}), "SMTPRecipientsRefused 550"),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "SMTPServerDisconnected"),
    (ConnectionRefusedError(111, "Connection refused"), "ConnectionRefusedError: Connection refused"),
    (TimeoutError("timed out"), "TimeoutError"),
])
def test_a_failure_is_described_without_the_servers_text(error, described):
    assert describe_failure(error) == described
