"""Idempotency-Key on creating API requests: a retry gets the first answer, never a second resource."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core.db import tenant_scope, utcnow
from core.idempotency import services
from core.idempotency.models import IdempotencyKey
from core.people.models import Person
from tests.core.auth.test_api_clients import bearer, machine, make_api_client, token_for  # noqa: F401  (fixtures)
from core.testing.app import login

BODY = {"first_name": "Sara", "last_name": "Lind"}
KEY = {"Idempotency-Key": "4f1c2a9e-6b0d-4c55-9a53-0e6f1d2b7c11"}


def _people(db_session, tenant) -> int:
    with tenant_scope(tenant.id):
        return db_session.scalar(select(func.count()).select_from(Person))


@pytest.fixture
def staff(client, make_tenant, make_user):
    tenant = make_tenant(country="SE")
    login(client, make_user(("staff", tenant)))
    return client, tenant, f"/api/v1/t/{tenant.slug}/people"


def test_the_same_key_and_body_give_the_first_answer_and_one_person(staff, db_session):
    client, tenant, base = staff
    first = client.post(base, json=BODY, headers=KEY)
    again = client.post(base, json={"last_name": "Lind", "first_name": "Sara"}, headers=KEY)  # other key order
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers.get("Location") == first.headers.get("Location")
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _people(db_session, tenant) == 1


def test_without_a_key_each_request_creates(staff, db_session):
    client, tenant, base = staff
    assert client.post(base, json=BODY).status_code == client.post(base, json=BODY).status_code == 201
    assert _people(db_session, tenant) == 2


def test_the_same_key_with_another_body_is_422(staff, db_session):
    client, tenant, base = staff
    assert client.post(base, json=BODY, headers=KEY).status_code == 201
    other = client.post(base, json={**BODY, "first_name": "Omar"}, headers=KEY)
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert "another request body" in other.json["detail"]
    assert _people(db_session, tenant) == 1


def test_a_failed_request_leaves_the_key_free_for_the_corrected_one(staff, db_session):
    client, tenant, base = staff
    assert client.post(base, json={"first_name": "Sara"}, headers=KEY).status_code == 422
    assert client.post(base, json=BODY, headers=KEY).status_code == 201
    assert _people(db_session, tenant) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "å"])
def test_a_malformed_key_is_422(staff, key):
    client, _tenant, base = staff
    response = client.post(base, json=BODY, headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")})
    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]


def test_keys_are_per_user(staff, make_user, db_session):
    client, tenant, base = staff
    assert client.post(base, json=BODY, headers=KEY).status_code == 201
    login(client, make_user(("staff", tenant)))
    second = client.post(base, json=BODY, headers=KEY)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert _people(db_session, tenant) == 2


def test_keys_are_per_tenant(client, make_tenant, make_user, db_session):
    a, b = make_tenant(), make_tenant()
    login(client, make_user(("staff", a), ("staff", b)))
    for tenant in (a, b):
        response = client.post(f"/api/v1/t/{tenant.slug}/people", json=BODY, headers=KEY)
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
        assert _people(db_session, tenant) == 1


def test_keys_are_per_api_client_and_apart_from_users(staff, machine, make_api_client, db_session):  # noqa: F811
    client, tenant, base = staff
    assert client.post(base, json=BODY, headers=KEY).status_code == 201
    tokens = [token_for(machine, tenant, *make_api_client(tenant, scopes=("core.people.write",), name=name))
              for name in ("One", "Two")]
    for token in tokens:
        response = machine.post(base, json=BODY, headers={**KEY, **bearer(token)})
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    replayed = machine.post(base, json=BODY, headers={**KEY, **bearer(tokens[0])})
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    assert _people(db_session, tenant) == 3


def test_a_key_older_than_a_day_is_new_again_and_purged_by_the_daily_job(staff, db_session):
    client, tenant, base = staff
    assert client.post(base, json=BODY, headers=KEY).status_code == 201
    with tenant_scope(tenant.id):
        db_session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
        db_session.commit()
    again = client.post(base, json=BODY, headers=KEY)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert _people(db_session, tenant) == 2
    with tenant_scope(tenant.id):
        assert services.purge(db_session, tenant, utcnow()) == 0  # the fresh key stays
        assert services.purge(db_session, tenant, utcnow() + timedelta(hours=25)) == 1
        assert db_session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def _in_progress(db_session, tenant, user, minutes_ago: int) -> None:
    """The row a first request leaves while at work (or after dying between commit and answer)."""
    with tenant_scope(tenant.id):
        print_ = services.fingerprint("POST", f"/api/v1/t/{tenant.slug}/people",
                                      b'{"first_name": "Sara", "last_name": "Lind"}')
        db_session.add(IdempotencyKey(client=f"user:{user.id}", key=KEY["Idempotency-Key"], fingerprint=print_,
                                      created_at=utcnow() - timedelta(minutes=minutes_ago)))
        db_session.commit()


def test_a_retry_while_the_first_is_at_work_waits_then_gets_409_with_retry_after(client, make_tenant, make_user,
                                                                                 db_session, monkeypatch):
    from core.web import idempotency

    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
    tenant = make_tenant()
    user = make_user(("staff", tenant))
    login(client, user)
    _in_progress(db_session, tenant, user, minutes_ago=0)
    response = client.post(f"/api/v1/t/{tenant.slug}/people", json=BODY, headers=KEY)
    assert response.status_code == 409 and response.headers["Retry-After"] == "1"
    assert _people(db_session, tenant) == 0


def test_a_first_request_that_never_answered_is_reported_not_redone(client, make_tenant, make_user, db_session):
    tenant = make_tenant()
    user = make_user(("staff", tenant))
    login(client, user)
    _in_progress(db_session, tenant, user, minutes_ago=3)
    response = client.post(f"/api/v1/t/{tenant.slug}/people", json=BODY, headers=KEY)
    assert response.status_code == 409 and "may be done" in response.json["detail"]
    assert "Retry-After" not in response.headers
    assert _people(db_session, tenant) == 0


def test_the_cleanup_is_a_daily_due_job(app):
    jobs = {job.key: job for jobs in app.extensions["samverka"].registry.hook.samverka_due_jobs() for job in jobs}
    assert jobs["idempotency_keys"].run is services.purge and jobs["idempotency_keys"].every == timedelta(days=1)


def test_the_openapi_document_declares_the_header_on_creating_operations(client):
    spec = client.get("/api/openapi.json").json
    post = spec["paths"]["/api/v1/t/{tenant}/people"]["post"]
    [header] = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and header["required"] is False and "24 hours" in header["description"]
    assert "409" in post["responses"]
    # an answer holding a secret is never stored, so those operations take no key
    secret = spec["paths"]["/api/v1/t/{tenant}/api-clients"]["post"]
    assert all(p["name"] != "Idempotency-Key" for p in secret.get("parameters", []))


def test_erasing_a_person_drops_kept_answers_that_could_repeat_their_data(client, make_tenant, make_user, db_session):
    tenant = make_tenant(country="SE")
    login(client, make_user(("tenant_admin", tenant)))
    base = f"/api/v1/t/{tenant.slug}/people"
    first = client.post(base, json=BODY, headers=KEY)
    assert first.status_code == 201
    erased = client.post(f"{base}/{first.json['id']}/erasure", json={"anonymise": False})
    assert erased.status_code == 200, erased.json
    with tenant_scope(tenant.id):
        bodies = db_session.scalars(select(IdempotencyKey.body)).all()
    assert bodies and not any(body and "Lind" in body for body in bodies)
    again = client.post(base, json=BODY, headers=KEY)  # the retry: no second person, no name
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers.get("Location") == first.headers.get("Location") and b"Lind" not in again.data
    assert _people(db_session, tenant) == 0
