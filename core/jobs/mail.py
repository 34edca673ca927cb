"""Senders that take outbox messages out of the house: SMTP, a mail folder for the demo; open to SMS."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.jobs.models import OutboxMessage
    from core.settings import Settings


class DeliveryError(Exception):
    """A send failed; ``str(error)`` is safe to store and log (it names no person)."""


class Sender(Protocol):
    """Delivers outbox messages of one channel; raises :class:`DeliveryError` on failure."""

    #: The outbox channel this sender delivers ("email", later "sms").
    channel: str

    def send(self, message: OutboxMessage) -> None: ...


def describe_failure(exc: BaseException) -> str:
    """The error class and SMTP code, leaving out the server's text, which may quote addresses."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{name} {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        return f"{name} {','.join(map(str, codes))}"
    if isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException) and exc.strerror:
        return f"{name}: {exc.strerror}"
    return name


def build_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """The MIME message: plain text, with an HTML alternative when there is one."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    # Stable across retries, so a message sent twice (a crash after sending) can be recognised.
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "samverka.localhost"
    email["Message-ID"] = f"<outbox.{message.tenant_id}.{message.id}@{domain}>"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def sender_for(settings: Settings) -> Sender:
    """The email sender the settings describe: the mail folder when one is set (the demo), else SMTP."""
    if settings.mail_folder:
        return FolderSender(Path(settings.mail_folder), settings.mail_from)
    return SmtpSender.from_settings(settings)


@dataclass(frozen=True)
class FolderSender:
    """Delivers email as ``.eml`` files into a folder: the demo's mailbox, with no SMTP server.

    Each message is one file, named by its tenant and id, so a retry overwrites its own.
    """

    directory: Path
    mail_from: str

    channel = "email"

    def send(self, message: OutboxMessage) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"outbox-{message.tenant_id}-{message.id}.eml"
            path.write_bytes(bytes(build_email(message, self.mail_from)))
        except OSError as exc:
            raise DeliveryError(describe_failure(exc)) from exc


@dataclass(frozen=True)
class SmtpSender:
    """Sends email through one SMTP server, a connection per message."""

    host: str
    port: int
    mail_from: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0

    channel = "email"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSender:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            mail_from=settings.mail_from,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )

    def build(self, message: OutboxMessage) -> EmailMessage:
        return build_email(message, self.mail_from)

    def send(self, message: OutboxMessage) -> None:
        email = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(describe_failure(exc)) from exc
