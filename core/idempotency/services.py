"""Claiming an idempotency key, keeping its first answer, and forgetting it after a day."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import as_utc
from core.idempotency.models import IdempotencyKey
from core.tenants.models import Tenant

#: How long a key and its answer are kept; a key older than this is new again.
KEEP = timedelta(hours=24)


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What identifies a request: its method, path and body (JSON compared by value, so key
    order and spacing do not matter)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), canonical])).hexdigest()


def claim(session: Session, client: str, key: str, print_: str, now: datetime) -> IdempotencyKey | None:
    """Take ``key`` for this request: None when it is new (the row is added in the caller's
    transaction, which must then do the work), else the row of the request that took it first.

    The insert runs in a savepoint: on PostgreSQL a second request with the same key waits
    on the unique index until the first commits or rolls back, then gets the first's row.
    A row older than :data:`KEEP` is deleted and the key is new again."""
    stale = delete(IdempotencyKey).where(IdempotencyKey.client == client, IdempotencyKey.key == key,
                                         IdempotencyKey.created_at < as_utc(now) - KEEP)
    session.execute(stale.execution_options(synchronize_session=False))
    try:
        with session.begin_nested():
            session.add(IdempotencyKey(client=client, key=key, fingerprint=print_, created_at=now))
    except IntegrityError:
        return existing(session, client, key)
    return None


def existing(session: Session, client: str, key: str) -> IdempotencyKey | None:
    """The row of ``key`` as committed now (not as this session last saw it)."""
    return session.scalar(select(IdempotencyKey).where(IdempotencyKey.client == client, IdempotencyKey.key == key)
                          .execution_options(populate_existing=True))


def record(session: Session, client: str, key: str, *, status: int, body: str, content_type: str | None,
           location: str | None) -> None:
    """Keep the first answer to ``key`` (the caller commits)."""
    row = existing(session, client, key)
    if row is not None:
        row.status, row.body, row.content_type, row.location = status, body, content_type, location


def release(session: Session, client: str, key: str) -> None:
    """Free ``key`` again: its request failed, so a corrected retry may use it."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.client == client, IdempotencyKey.key == key)
                    .execution_options(synchronize_session=False))


def forget_answers(session: Session) -> int:
    """Drop the current tenant's kept answer bodies, keeping their rows: called when a person
    is erased or anonymised, as a kept answer (a created person, an application) may hold
    their data. A retry still gets the first status and ``Location``, never the work twice,
    only no body. Returns how many bodies were dropped."""
    result = session.execute(update(IdempotencyKey).where(IdempotencyKey.body.is_not(None)).values(body=None)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def purge(session: Session, tenant: Tenant, now: datetime) -> int:
    """Due-job: delete the tenant's keys older than :data:`KEEP`; returns how many."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < as_utc(now) - KEEP)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0
