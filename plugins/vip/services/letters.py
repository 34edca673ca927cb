"""Who VIP writes to about an application, in which language, and queueing it safely."""

from __future__ import annotations

from flask import current_app

from core.jobs.services import enqueue_email
from core.people.models import Person
from core.tenants.models import Tenant
from plugins.vip.models import Application, ContactVia


def recipient(application: Application, person: Person | None = None) -> str | None:
    """The applicant's own email, or their contact's (contact person, guardian, legal
    representative) when the application says to write to them; None when there is none."""
    if application.contact_via == ContactVia.self:
        address = (person or application.person).email
    else:
        address = application.contact_email
    return (address or "").strip() or None


def language(person: Person, tenant: Tenant) -> str:
    """The person's language when the tenant offers it, else the tenant's first language."""
    offered = [lang for lang in tenant.languages or () if lang in current_app.config.get("SAMVERKA_LANGUAGES", ())]
    wanted = (person.preferred_language or "").strip().lower()[:2]
    if wanted in offered:
        return wanted
    return offered[0] if offered else current_app.extensions["samverka"].settings.default_language


def queue(session, *, to: str, subject: str, text: str, html: str, key: str) -> bool:
    """Queue one email through core's outbox; False (and nothing queued) for an address no
    mail server would take: staff then reach the person another way, and nothing else fails."""
    try:
        enqueue_email(session, to=to, subject=subject, text=text, html=html, key=key)
    except ValueError:
        return False
    return True
