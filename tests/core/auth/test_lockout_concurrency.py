"""Lockout on PostgreSQL: many wrong passwords for one account at the same moment.

Real committed data and real concurrent requests: each thread has its own test client (its
own request, session and connection) and its own client address (so the per-address rate
limit stays out of the way), and they all post at once (a barrier). At most the lockout
threshold is evaluated as a wrong password; every other attempt is refused as locked.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import create_engine, delete, select
from sqlalchemy.orm import Session

from core.audit.models import AuditEvent
from core.auth.models import User
from core.auth.passwords import hash_password
from core.testing.database import require_postgresql

ATTEMPTS = 30
WRONG = "The email address or password is wrong."
LOCKED = "Too many failed attempts"


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgresql()


@pytest.fixture
def committed_user(app, test_settings):
    engine = create_engine(test_settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        user = User(email=f"lockout-{uuid.uuid4().hex[:8]}@example.org", name="Lockout Target",
                    password_hash=hash_password("the right password, long enough"))
        session.add(user)
        session.commit()
    try:
        yield user
    finally:
        engine.dispose()
        # The audit log is append-only for the application role: the owner clears it.
        owner = create_engine(test_settings.migration_database_url)
        with Session(owner) as session:
            session.execute(delete(AuditEvent).where(AuditEvent.user_id == user.id))
            session.execute(delete(User).where(User.id == user.id))
            session.commit()
        owner.dispose()


def test_parallel_wrong_passwords_evaluate_at_most_the_threshold(app, test_settings, committed_user, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # as the client fixture has it
    threshold = app.extensions["samverka"].settings.lockout_threshold
    barrier = threading.Barrier(ATTEMPTS)
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = client.post("/login", data={"email": committed_user.email, "password": f"guess {n}"},
                                   environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
            results.append((response.status_code, response.text))
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(results) == ATTEMPTS

    assert {status for status, _ in results} == {401}
    wrong = sum(WRONG in text for _, text in results)
    locked = sum(LOCKED in text for _, text in results)
    assert wrong == threshold and locked == ATTEMPTS - threshold

    engine = create_engine(test_settings.database_url)
    try:
        with Session(engine) as session:
            failed_logins, locked_until = session.execute(
                select(User.failed_logins, User.locked_until).where(User.id == committed_user.id)).one()
    finally:
        engine.dispose()
    assert failed_logins == threshold and locked_until is not None
