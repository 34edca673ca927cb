"""The withdrawal link works once on PostgreSQL, also when it is pressed many times at once."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from core.audit.models import AuditEvent
from core.db import tenant_scope, utcnow
from core.people.models import Person
from core.tokens import digest
from plugins.vip.models import Application, ApplicationStatus, Channel, ContactVia
from plugins.vip.services.ranking import initial_rank
from core.testing.database import drop_committed_tenant, require_postgresql
from tests.plugins.vip.conftest import committed_vip_tenant

PRESSES = 8
TOKEN = "withdraw-" + "x" * 40

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgresql()


@pytest.fixture
def waiting(app, test_settings):
    """A committed tenant with VIP on and one waiting application whose link carries TOKEN."""
    engine = create_engine(test_settings.database_url)
    slug = f"withdraw-race-{uuid.uuid4().hex[:8]}"
    with Session(engine, expire_on_commit=False) as session:
        tenant, _user = committed_vip_tenant(session, app, slug)
        with tenant_scope(tenant.id):
            person = Person(first_name="Racer", last_name="Testsson")
            session.add(person)
            session.flush()
            applied = utcnow() - timedelta(days=3)
            application = Application(person_id=person.id, audience="women", channel=Channel.web,
                                      contact_via=ContactVia.self, taken_before=False, applied_at=applied,
                                      queue_rank=initial_rank(False, applied), withdraw_token_hash=digest(TOKEN))
            session.add(application)
            session.commit()
    try:
        yield tenant, application.id
    finally:
        engine.dispose()
        drop_committed_tenant(test_settings, tenant.id)


def test_many_presses_at_once_withdraw_once(app, test_settings, waiting):
    tenant, application_id = waiting
    url = f"/t/{tenant.slug}/vip/withdraw/{TOKEN}"
    barrier = threading.Barrier(PRESSES)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def press() -> None:
        client = app.test_client()
        try:
            # Each browser opened the page first: its own session and CSRF token.
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)
            barrier.wait(timeout=30)
            statuses.append(client.post(url, data={"confirm": "yes", "csrf_token": token}).status_code)
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=press) for _ in range(PRESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sorted(statuses) == [200] + [404] * (PRESSES - 1), statuses

    engine = create_engine(test_settings.database_url)
    try:
        with Session(engine) as session, tenant_scope(tenant.id):
            application = session.get(Application, application_id)
            events = session.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "vip.application.withdraw"))
            assert (application.status, application.withdraw_token_hash) == (ApplicationStatus.withdrawn, None)
    finally:
        engine.dispose()
    assert events == 1


def test_the_link_waits_for_the_person_before_it_holds_the_application(app, test_settings, waiting):
    """Lock order (services/locks.py): while a merge or an erasure holds the person, a press
    of the link must not hold the application, or the two deadlock when the other reaches it."""
    tenant, application_id = waiting
    url = f"/t/{tenant.slug}/vip/withdraw/{TOKEN}"
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)
    statuses: list[int] = []
    engine = create_engine(test_settings.database_url)
    try:
        with Session(engine) as holder, tenant_scope(tenant.id):
            person_id = holder.scalar(select(Application.person_id).where(Application.id == application_id))
            holder.scalar(select(Person).where(Person.id == person_id).with_for_update())  # as a merge does
            press = threading.Thread(target=lambda: statuses.append(
                client.post(url, data={"confirm": "yes", "csrf_token": csrf}).status_code))
            press.start()
            press.join(timeout=2)  # the press now waits for the person
            assert press.is_alive()
            # The merge goes on to the application: free, as the press holds nothing yet.
            holder.scalar(select(Application).where(Application.id == application_id)
                          .with_for_update(nowait=True))
            holder.commit()
            press.join(timeout=30)
    finally:
        engine.dispose()
    assert statuses == [200]
