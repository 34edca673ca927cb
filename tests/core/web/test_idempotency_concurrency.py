"""Idempotency-Key on PostgreSQL: ten identical requests sent at the same moment create one person.

Real committed data and real concurrent transactions, as in the plugins' concurrency tests: each
thread has its own test client, session cookie and connection, and they all post at once (a barrier).
"""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from core.auth import services as auth_services
from core.auth import sessions as auth_sessions
from core.auth.models import User
from core.db import tenant_scope
from core.people.models import Person
from core.tenants.models import Tenant, TenantKind
from core.testing.database import drop_committed_tenant, require_postgresql

REQUESTS = 10

pytestmark = pytest.mark.postgres


@pytest.fixture
def committed(test_settings):
    """A committed tenant and one staff user signed in ``REQUESTS`` times (one cookie per thread)."""
    require_postgresql()
    engine = create_engine(test_settings.database_url)
    slug = f"idem-{uuid.uuid4().hex[:8]}"
    with Session(engine, expire_on_commit=False) as session:
        tenant = Tenant(slug=slug, name="Idempotency", kind=TenantKind.municipality, country="SE", languages=["sv"])
        user = User(email=f"{slug}@example.org", name="Idem Staff")
        session.add_all([tenant, user])
        session.commit()
        with tenant_scope(tenant.id):
            auth_services.grant(session, user, tenant, "staff")
            tokens = [auth_sessions.start(session, user) for _ in range(REQUESTS)]
            session.commit()
    try:
        yield tenant, tokens
    finally:
        engine.dispose()
        drop_committed_tenant(test_settings, tenant.id, (user.id,))


def test_ten_parallel_identical_requests_create_one_person(app, test_settings, committed):
    tenant, tokens = committed
    url = f"/api/v1/t/{tenant.slug}/people"
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    barrier = threading.Barrier(REQUESTS)
    results: list[tuple[int, dict, str | None]] = []
    errors: list[BaseException] = []

    def send(token: str) -> None:
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["sid"] = token
        try:
            barrier.wait(timeout=30)
            response = client.post(url, json={"first_name": "Sara", "last_name": "Lind"}, headers=headers)
            results.append((response.status_code, response.get_json(), response.headers.get("Retry-After")))
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert errors == [] and len(results) == REQUESTS

    created = [body for status, body, _ in results if status == 201]
    assert created and all(body == created[0] for body in created), results
    assert all(status == 201 or (status == 409 and retry == "1") for status, _, retry in results), results

    engine = create_engine(test_settings.database_url)
    try:
        with Session(engine) as session, tenant_scope(tenant.id):
            assert session.scalar(select(func.count()).select_from(Person)) == 1
    finally:
        engine.dispose()
