"""The SMTP sender: settings, the MIME message, AUTH against a real server, safe error text."""

import smtplib
from dataclasses import replace

import pytest

from core.jobs.mail import DeliveryError, SmtpSender, describe_failure, sender_for
from core.jobs.models import OutboxMessage
from core.testing.smtp import SMTP_PASSWORD, SMTP_USER


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


def test_the_demo_delivers_email_into_its_mail_folder(tmp_path):
    from email import message_from_bytes

    from core.jobs.mail import FolderSender
    from core.settings import Settings

    sender = sender_for(replace(Settings(), mail_folder=str(tmp_path / "mail")))
    assert isinstance(sender, FolderSender)
    sender.send(_message(body_html="<p>Hello</p>"))
    sender.send(_message())  # a retry of the same message replaces its file
    files = list((tmp_path / "mail").glob("*.eml"))
    assert [f.name for f in files] == ["outbox-3-7.eml"]
    email = message_from_bytes(files[0].read_bytes())
    assert (email["To"], email["Subject"], email.get_payload(decode=True)) == ("anna@example.org", "Hi", b"Hello\n")


def test_mail_goes_to_the_folder_only_in_a_demo_without_smtp():
    from core.settings import INSTANCE_DIR, Settings

    assert Settings.from_env({}).mail_folder == str(INSTANCE_DIR / "mail")
    assert Settings.from_env({"SAMVERKA_SMTP_HOST": "mail.example.org"}).mail_folder is None
    assert Settings.from_env({"SAMVERKA_ENVIRONMENT": "test"}).mail_folder is None
    assert isinstance(sender_for(Settings.from_env({"SAMVERKA_ENVIRONMENT": "test"})), SmtpSender)


def test_a_folder_that_cannot_be_written_is_a_delivery_error(tmp_path):
    from core.jobs.mail import FolderSender

    blocker = tmp_path / "mail"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(DeliveryError, match="^FileExistsError"):
        FolderSender(blocker, "a@example.org").send(_message())
