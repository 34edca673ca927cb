"""Senders for the jobs tests: one to the live SMTP server, one to a port nobody listens on."""

from datetime import datetime, timezone

import pytest

from core.jobs.mail import SmtpSender
from core.testing.smtp import free_port

#: A fixed "now" for the jobs tests; new messages are due whatever the time.
NOW = datetime(2031, 3, 3, 8, 0, tzinfo=timezone.utc)
MAIL_FROM = "Samverka <noreply@samverka.test>"


@pytest.fixture
def sender(smtp) -> SmtpSender:
    return SmtpSender(host=smtp.host, port=smtp.port, mail_from=MAIL_FROM, timeout=5)


@pytest.fixture
def dead_sender() -> SmtpSender:
    return SmtpSender(host="127.0.0.1", port=free_port(), mail_from=MAIL_FROM, timeout=5)
