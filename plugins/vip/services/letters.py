"""Whom VIP writes to about an application (core's ``queue_email`` writes and queues it)."""

from __future__ import annotations

from core.toolkit import Person
from plugins.vip.models import Application, ContactVia


def recipient(application: Application, person: Person | None = None) -> str | None:
    """The applicant's own email, or their contact's (contact person, guardian, legal
    representative) when the application says to write to them; None when there is none."""
    if application.contact_via == ContactVia.self:
        address = (person or application.person).email
    else:
        address = application.contact_email
    return (address or "").strip() or None
