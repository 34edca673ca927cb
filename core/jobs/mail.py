"""Senders that take outbox messages out of the house: SMTP now, the protocol open to SMS."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
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
        """The MIME message: plain text, with an HTML alternative when there is one."""
        email = EmailMessage()
        email["From"] = self.mail_from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        # Stable across retries, so a message sent twice (a crash after sending) can be recognised.
        domain = parseaddr(self.mail_from)[1].rpartition("@")[2] or "samverka.localhost"
        email["Message-ID"] = f"<outbox.{message.tenant_id}.{message.id}@{domain}>"
        email.set_content(message.body_text)
        if message.body_html:
            email.add_alternative(message.body_html, subtype="html")
        return email

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
