"""Two runners at once on PostgreSQL, each on its own connection: one send per message, one run per job."""

import threading
import time
import uuid
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, delete, select
from sqlalchemy.orm import Session

from core.db import tenant_scope
from core.hookspecs import DueJob
from core.jobs.mail import SmtpSender
from core.jobs.models import JobRun, OutboxMessage, OutboxStatus
from core.jobs.services import enqueue_email, run_due_jobs
from core.tenants.models import Tenant, TenantKind
from core.tenants.services import enable_plugin
from tests.core.jobs.conftest import MAIL_FROM, NOW
from tests.core import sample_plugin
from core.testing.database import require_postgresql

MESSAGES = 40


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgresql()


@pytest.fixture
def race_tenant(app, test_settings):
    """A fresh tenant with the sample plugin on and queued messages, committed as the app role."""
    engine = create_engine(test_settings.database_url)
    slug = f"race-{uuid.uuid4().hex[:8]}"
    with Session(engine, expire_on_commit=False) as session:
        tenant = Tenant(slug=slug, name="Race", kind=TenantKind.municipality, country="SE", languages=["sv"])
        session.add(tenant)
        session.commit()
        # A new transaction inside the scope, so the RLS setting is made for it.
        with tenant_scope(tenant.id):
            enable_plugin(session, app.extensions["samverka"].registry, tenant, "sample", {})
            for n in range(MESSAGES):
                enqueue_email(session, to=f"person{n}@example.org", subject=f"Race {n}", text="Hello")
            session.commit()
    try:
        yield tenant
    finally:
        with Session(engine) as session, tenant_scope(tenant.id):
            session.execute(delete(Tenant).where(Tenant.id == tenant.id))  # cascades to its rows
            session.commit()
        engine.dispose()


class SlowSender:
    """Holds each message a moment, so the two runners overlap."""

    channel = "email"

    def __init__(self, inner: SmtpSender) -> None:
        self.inner = inner

    def send(self, message) -> None:
        time.sleep(0.01)
        self.inner.send(message)


def test_two_runners_send_each_message_once_and_run_each_job_once(app, test_settings, race_tenant, smtp):
    slow_runs: list[int] = []

    def slow(session, tenant, now):
        slow_runs.append(tenant.id)
        time.sleep(0.2)  # the other runner reaches this job while it is locked
        return 1

    state = app.extensions["samverka"]
    state = replace(state, due_jobs={**state.due_jobs, "race.slow": ("race", True, DueJob("slow", slow))})
    sender = SlowSender(SmtpSender(host=smtp.host, port=smtp.port, mail_from=MAIL_FROM, timeout=5))
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def runner() -> None:
        engine = create_engine(test_settings.database_url)
        try:
            with Session(engine) as session:
                barrier.wait()
                reports.append(run_due_jobs(session, state, NOW, sender=sender))
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)
        finally:
            engine.dispose()

    sample_plugin.calls.clear()
    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(reports) == 2

    received = Counter(r.message["Subject"] for r in smtp.messages if r.message["Subject"].startswith("Race "))
    assert received == Counter({f"Race {n}": 1 for n in range(MESSAGES)})
    assert sum(r.delivery.sent for r in reports) == MESSAGES
    assert slow_runs.count(race_tenant.id) == 1
    assert sample_plugin.calls.count(("due_job", race_tenant.slug)) == 1

    engine = create_engine(test_settings.database_url)
    try:
        with Session(engine) as session, tenant_scope(race_tenant.id):
            messages = session.scalars(select(OutboxMessage)).all()
            jobs = sorted(session.scalars(select(JobRun.job)))
    finally:
        engine.dispose()
    assert {(m.status, m.attempts) for m in messages} == {(OutboxStatus.sent, 1)}
    assert jobs == sorted(name for name, (plugin, internal, _) in state.due_jobs.items() if internal or plugin == "sample")


def test_two_transactions_queueing_one_key_at_once_keep_one_message(test_settings, race_tenant):
    engine = create_engine(test_settings.database_url)
    second_ids = []

    def second() -> None:
        with Session(engine) as session, tenant_scope(race_tenant.id):
            # Does not see the first (uncommitted) message; its insert waits on the unique index.
            second_ids.append(enqueue_email(session, to="anna@example.org", subject="Second", text="Hi", key="once").id)
            session.commit()

    try:
        with Session(engine) as session, tenant_scope(race_tenant.id):
            first_id = enqueue_email(session, to="anna@example.org", subject="First", text="Hi", key="once").id
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.3)
            session.commit()
        thread.join(timeout=10)
        with Session(engine) as session, tenant_scope(race_tenant.id):
            subjects = session.scalars(select(OutboxMessage.subject).where(OutboxMessage.idempotency_key == "once")).all()
    finally:
        engine.dispose()
    assert second_ids == [first_id] and subjects == ["First"]
