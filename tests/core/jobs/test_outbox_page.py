"""The demo's outbox page: a platform admin reads the email queued and sent; nobody else does."""

from dataclasses import replace

from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db import tenant_scope
from core.jobs.models import OutboxStatus
from core.jobs.services import enqueue_email
from core.testing.app import login


def _queue(db_session, tenant, subject, text, sent=False):
    with tenant_scope(tenant.id):
        message = enqueue_email(db_session, to="anna@example.org", subject=subject, text=text)
        if sent:
            message.status = OutboxStatus.sent
        db_session.commit()
        return message.id


def test_a_platform_admin_reads_queued_and_sent_email(client, db_session, make_tenant, make_user):
    vasteras, falun = make_tenant("vasteras"), make_tenant("falun")
    queued = _queue(db_session, vasteras, "Your place in the group", "Welcome on Monday.")
    _queue(db_session, falun, "Reset your password", "Follow the link.", sent=True)
    login(client, make_user(platform_admin=True), language="en")

    assert "/platform/outbox" in client.get("/").text  # on the platform admin's start page
    page = client.get("/platform/outbox")
    assert page.status_code == 200
    for text in ("Your place in the group", "Reset your password", "anna@example.org", "Queued", "Sent",
                 vasteras.name, falun.name):
        assert text in page.text

    detail = client.get(f"/platform/outbox/{queued}")
    assert detail.status_code == 200 and "Welcome on Monday." in detail.text
    with tenant_scope(vasteras.id):  # the read is in the message's tenant's audit log
        assert db_session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "outbox_message",
                                                                 AuditEvent.object_id == str(queued))) == "outbox.read"
    assert client.get("/platform/outbox/999999").status_code == 404


def test_the_outbox_shows_the_installations_clock_not_utc(client, db_session, make_tenant, make_user):
    from datetime import datetime, timezone

    from core.jobs.models import OutboxMessage

    tenant = make_tenant()
    message_id = _queue(db_session, tenant, "Your place in the group", "Welcome on Monday.")
    with tenant_scope(tenant.id):
        db_session.get(OutboxMessage, message_id).created_at = datetime(2026, 1, 15, 11, 0, tzinfo=timezone.utc)
        db_session.commit()
    login(client, make_user(platform_admin=True), language="en")
    for page in (client.get("/platform/outbox").text, client.get(f"/platform/outbox/{message_id}").text):
        assert "12:00" in page and "11:00" not in page  # Europe/Stockholm in winter, the default


def test_a_tenant_admin_cannot_read_the_outbox(client, db_session, make_tenant, make_user):
    tenant = make_tenant()
    message = _queue(db_session, tenant, "Reset your password", "Follow the link.")
    login(client, make_user(("tenant_admin", tenant)))
    assert "/platform/outbox" not in client.get(f"/t/{tenant.slug}/").text
    assert client.get("/platform/outbox").status_code == 403
    assert client.get(f"/platform/outbox/{message}").status_code == 403


def test_production_has_no_outbox_page(app, client, db_session, make_tenant, make_user, monkeypatch):
    """Production mail holds live one-time links (resets, invitations): no one reads it here."""
    tenant = make_tenant()
    message = _queue(db_session, tenant, "Reset your password", "Follow the link.")
    state = app.extensions["samverka"]
    monkeypatch.setattr(state, "settings", replace(state.settings, environment="production"))
    login(client, make_user(platform_admin=True))
    assert "/platform/outbox" not in client.get("/").text
    assert client.get("/platform/outbox").status_code == 404
    assert client.get(f"/platform/outbox/{message}").status_code == 404
