"""Merging, withdrawing and placing at the same moment as erasing or anonymising the same person.

Real committed data and concurrent requests on PostgreSQL, as in test_placement_concurrency:
each pair of requests is sent at once (a barrier), one to change where an application
belongs or stands, one to erase or anonymise the person. Whatever the order they are
taken in, no request fails with a 500, and nothing identifying the erased person is left
in core's person table or in any text column of VIP's tables.
"""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import String, Text, create_engine, or_, select
from sqlalchemy.orm import Session

from core.auth import sessions as auth_sessions
from core.db import Base, tenant_scope, utcnow
from core.people.models import Consent, ConsentGiver, Person
from plugins.vip.models import Application, ApplicationStatus, Channel, ContactVia, Group, Outreach
from plugins.vip.services.ranking import initial_rank
from core.testing.database import drop_committed_tenant, require_postgresql
from tests.plugins.vip.conftest import committed_vip_tenant

PAIRS = 20
#: Pairs sent at once: more would only queue for the connection pool.
BATCH = 5


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgresql()


def _person(session, first: str, marker: str) -> Person:
    person = Person(first_name=first, last_name="Lockwood", email=f"{marker}@example.org", phone="070" + marker[-7:],
                    address=f"{marker} street 1", birth_year=1990)
    session.add(person)
    session.flush()
    return person


@pytest.fixture
def world(app, test_settings):
    """``world(kind)``: a committed tenant with VIP on and a group, and ``PAIRS`` cases of
    ``kind``: a registered person with an outreach row and an application in line, either
    made for another person record (``merge``: to be merged into the registered one) or
    their own (``withdraw``, ``place``). A coordinator who may also erase, one session per request."""
    engine = create_engine(test_settings.database_url)
    made: list[tuple[int, int]] = []

    def build(kind: str):
        uid = uuid.uuid4().hex[:8]
        slug = f"locks-{kind}-{uid}"
        with Session(engine, expire_on_commit=False) as session:
            tenant, user = committed_vip_tenant(session, app, slug, "vip.coordinator", "tenant_admin")
            made.append((tenant.id, user.id))
            with tenant_scope(tenant.id):
                group = Group(name="Lock group", audience="women", capacity=PAIRS + 5, location="Room 1")
                session.add(group)
                session.flush()
                cases = []
                for n in range(PAIRS):
                    keeper = _person(session, f"Keeper{n}x{uid}", f"keeper{n}x{uid}")
                    session.add(Outreach(person_id=keeper.id, service=f"Service{n}x{uid}", note=f"Note{n}x{uid}",
                                         informed_on=date(2025, 1, 10)))
                    applicant = _person(session, f"Applicant{n}x{uid}", f"applicant{n}x{uid}") \
                        if kind == "merge" else keeper
                    session.add(Consent(person_id=applicant.id, purpose="VIP", plugin="vip",
                                        given_by=ConsentGiver.guardian, given_on=date(2025, 1, 10)))
                    applied = utcnow() - timedelta(days=30 - n)
                    application = Application(
                        person_id=applicant.id, audience="women", channel=Channel.web, taken_before=False,
                        contact_via=ContactVia.guardian, contact_name=f"Guardian{n}x{uid}",
                        contact_email=f"guardian{n}x{uid}@example.org", contact_phone="0701234567",
                        needs=f"Needs{n}x{uid}", applied_at=applied, queue_rank=initial_rank(False, applied),
                        created_person=True)
                    session.add(application)
                    session.flush()
                    cases.append((keeper.id, application.id, n))
                tokens = [auth_sessions.start(session, user) for _ in range(2 * PAIRS)]
                session.commit()
        return tenant, group.id, uid, cases, tokens

    try:
        yield build
    finally:
        engine.dispose()
        for tenant_id, user_id in made:
            drop_committed_tenant(test_settings, tenant_id, (user_id,))


def _send_in_pairs(app, requests: list[tuple[str, str, dict, str]]) -> list[tuple[int, dict | None]]:
    """POST each (key, url, body, session token), ``2 * BATCH`` at once; the answers in order."""
    results: list[tuple[int, dict | None] | None] = [None] * len(requests)
    errors: list[BaseException] = []
    for start in range(0, len(requests), 2 * BATCH):
        batch = list(enumerate(requests))[start:start + 2 * BATCH]
        barrier = threading.Barrier(len(batch))

        def send(index: int, url: str, body: dict, token: str) -> None:
            client = app.test_client()
            with client.session_transaction() as cookie:
                cookie["sid"] = token
            try:
                barrier.wait(timeout=30)
                response = client.post(url, json=body)
                results[index] = (response.status_code, response.get_json(silent=True))
            except BaseException as exc:  # handed to the test thread below
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(i, url, body, token)) for i, (_, url, body, token) in batch]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == [] and None not in results
    return results  # type: ignore[return-value]


def _leftovers(test_settings, tenant, markers: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, marker) for each marker found in a text column of ``person`` or a VIP table."""
    classes = [m.class_ for m in Base.registry.mappers
               if m.local_table.name == "person" or m.local_table.name.startswith("vip_")]
    found = []
    engine = create_engine(test_settings.database_url)
    try:
        with Session(engine) as session, tenant_scope(tenant.id):
            for cls in classes:
                columns = [attr.key for attr in cls.__mapper__.column_attrs
                           if isinstance(attr.columns[0].type, (String, Text))]
                if not columns:
                    continue
                for marker in markers:
                    hits = session.scalars(select(cls).where(
                        or_(*(getattr(cls, c).ilike(f"%{marker}%") for c in columns)))).all()
                    found.extend((cls.__tablename__, c, marker) for row in hits for c in columns
                                 if marker.lower() in str(getattr(row, c) or "").lower())
    finally:
        engine.dispose()
    return found


def _statuses(test_settings, tenant) -> dict[int, ApplicationStatus]:
    engine = create_engine(test_settings.database_url)
    try:
        with Session(engine) as session, tenant_scope(tenant.id):
            return dict(session.execute(select(Application.id, Application.status)).all())
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("anonymise", [False, True], ids=["erase", "anonymise"])
def test_merge_and_erasure_of_the_same_person_at_once(app, test_settings, world, anonymise):
    tenant, _group_id, uid, cases, tokens = world("merge")
    base = f"/api/v1/t/{tenant.slug}"
    requests = []
    for keeper_id, application_id, n in cases:
        requests.append(("merge", f"{base}/vip/applications/{application_id}/merge", {"person_id": keeper_id},
                         tokens[2 * n]))
        requests.append(("erase", f"{base}/people/{keeper_id}/erasure", {"anonymise": anonymise}, tokens[2 * n + 1]))
    results = _send_in_pairs(app, requests)

    answers = [(key, status) for (key, *_rest), (status, _body) in zip(requests, results)]
    assert not [a for a in answers if a[1] >= 500], results
    assert {status for key, status in answers if key == "erase"} <= {200, 404}
    assert {status for key, status in answers if key == "merge"} <= {200, 404, 409, 422}
    assert all(status == 200 for key, status in answers if key == "erase"), answers  # the keeper is always erased

    merged = {n for _keeper_id, _application_id, n in cases if results[2 * n][0] == 200}
    # The keeper's identity goes in every case; the application's details go when it was merged first.
    markers = [f"{kind}{n}x{uid}" for n in range(PAIRS) for kind in ("Keeper", "Service", "Note")]
    markers += [f"{kind}{n}x{uid}" for n in merged for kind in ("Guardian", "Needs", "Applicant")]
    assert _leftovers(test_settings, tenant, markers) == []
    statuses = _statuses(test_settings, tenant)
    for _keeper_id, application_id, n in cases:
        if n in merged:
            assert statuses.get(application_id) in (None, ApplicationStatus.closed)  # erased, or closed anonymised
        else:
            assert statuses[application_id] == ApplicationStatus.waiting  # untouched: it stayed with its own record


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["withdraw", "place"])
def test_withdrawal_or_placing_and_erasure_of_the_same_person_at_once(app, test_settings, world, kind):
    tenant, group_id, uid, cases, tokens = world(kind)
    base = f"/api/v1/t/{tenant.slug}"
    requests = []
    for keeper_id, application_id, n in cases:
        if kind == "withdraw":
            requests.append((kind, f"{base}/vip/applications/{application_id}/withdrawal",
                             {"reason": "applicant_asked"}, tokens[2 * n]))
        else:
            requests.append((kind, f"{base}/vip/groups/{group_id}/participants", {"application_id": application_id},
                             tokens[2 * n]))
        requests.append(("erase", f"{base}/people/{keeper_id}/erasure", {"anonymise": kind == "place"},
                         tokens[2 * n + 1]))
    results = _send_in_pairs(app, requests)

    answers = [(key, status) for (key, *_rest), (status, _body) in zip(requests, results)]
    assert not [a for a in answers if a[1] >= 500], results
    assert all(status == 200 for key, status in answers if key == "erase"), answers
    assert {status for key, status in answers if key == kind} <= {200, 201, 404, 409}
    markers = [f"{k}{n}x{uid}" for n in range(PAIRS) for k in ("Keeper", "Service", "Note", "Guardian", "Needs")]
    assert _leftovers(test_settings, tenant, markers) == []
    assert ApplicationStatus.waiting not in _statuses(test_settings, tenant).values()
