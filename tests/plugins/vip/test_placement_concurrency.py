"""No overbooking on PostgreSQL: many staff confirm the last places of a group at the same moment.

Real committed data and real concurrent transactions: each thread has its own test client,
so its own request, session and connection, and they all post at once (a barrier). Exactly
the group's capacity succeeds; every other request is a clear 409, never a 500.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from core.audit.models import AuditEvent
from core.auth import sessions as auth_sessions
from core.db import tenant_scope, utcnow
from core.people.models import Person
from core.sessions.models import Attendance, ScheduledSession
from plugins.vip.models import Application, ApplicationStatus, Channel, ContactVia, Group, Meeting
from plugins.vip.services.ranking import initial_rank
from core.testing.database import drop_committed_tenant, require_postgresql
from tests.plugins.vip.conftest import committed_vip_tenant

CAPACITY = 4
APPLICANTS = 12
MEETINGS = 2


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgresql()


@pytest.fixture
def race(app, test_settings):
    """A committed tenant with VIP on, a group of ``CAPACITY`` with its meetings, ``APPLICANTS``
    waiting applications and one signed-in coordinator session per applicant."""
    engine = create_engine(test_settings.database_url)
    slug = f"race-vip-{uuid.uuid4().hex[:8]}"
    with Session(engine, expire_on_commit=False) as session:
        tenant, user = committed_vip_tenant(session, app, slug, "vip.coordinator")
        with tenant_scope(tenant.id):
            group = Group(name="Race group", audience="women", capacity=CAPACITY, location="Room 1")
            session.add(group)
            session.flush()
            start = utcnow() + timedelta(days=30)
            for number in range(1, MEETINGS + 1):
                scheduled = ScheduledSession(plugin="vip", kind="group_meeting", title=f"Meeting {number}",
                                             starts_at=start + timedelta(days=7 * number),
                                             ends_at=start + timedelta(days=7 * number, hours=2))
                session.add(scheduled)
                session.flush()
                session.add(Meeting(group_id=group.id, session_id=scheduled.id, number=number, theme="Emotions"))
            application_ids = []
            for n in range(APPLICANTS):
                person = Person(first_name=f"Racer{n}", last_name="Testsson")
                session.add(person)
                session.flush()
                applied = start - timedelta(days=60 - n)
                application = Application(person_id=person.id, audience="women", channel=Channel.paper,
                                          contact_via=ContactVia.self, taken_before=False, applied_at=applied,
                                          queue_rank=initial_rank(False, applied))
                session.add(application)
                session.flush()
                application_ids.append(application.id)
            tokens = [auth_sessions.start(session, user) for _ in range(APPLICANTS)]
            session.commit()
    try:
        yield tenant, group.id, application_ids, tokens
    finally:
        engine.dispose()
        drop_committed_tenant(test_settings, tenant.id, (user.id,))


def test_concurrent_placements_fill_the_group_exactly_to_capacity(app, test_settings, race):
    tenant, group_id, application_ids, tokens = race
    url = f"/api/v1/t/{tenant.slug}/vip/groups/{group_id}/participants"
    barrier = threading.Barrier(APPLICANTS)
    results: dict[int, tuple[int, str, dict]] = {}
    errors: list[BaseException] = []

    def staff(application_id: int, token: str) -> None:
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["sid"] = token
        try:
            barrier.wait(timeout=30)
            response = client.post(url, json={"application_id": application_id})
            results[application_id] = (response.status_code, response.mimetype, response.get_json())
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=staff, args=pair) for pair in zip(application_ids, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == APPLICANTS

    statuses = sorted(status for status, _, _ in results.values())
    assert statuses == [201] * CAPACITY + [409] * (APPLICANTS - CAPACITY), results
    for status, mimetype, body in results.values():
        if status == 409:
            assert mimetype == "application/problem+json" and body["detail"] == "the group is full", body
    winners = sorted(a for a, (status, _, _) in results.items() if status == 201)

    engine = create_engine(test_settings.database_url)
    try:
        with Session(engine) as session, tenant_scope(tenant.id):
            placed = sorted(session.scalars(select(Application.id).where(
                Application.group_id == group_id, Application.status == ApplicationStatus.placed)))
            waiting = session.scalar(select(func.count(Application.id)).where(
                Application.status == ApplicationStatus.waiting))
            attendance = session.scalar(select(func.count(Attendance.id)))
            events = session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "vip.application.place"))
    finally:
        engine.dispose()
    assert placed == winners and len(placed) == CAPACITY
    assert waiting == APPLICANTS - CAPACITY
    assert attendance == CAPACITY * MEETINGS
    assert events == CAPACITY
