"""Writing and reading the audit log."""

from __future__ import annotations

import io
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core import csvfile
from core.audit.models import AuditEvent
from core.db import current_tenant_ids, tenant_scope, utcnow
from core.tenants.models import Tenant
from core.tenants.clock import local_time


@dataclass(frozen=True)
class Actor:
    """Who is acting in this unit of work: a user, an API client, the public or the system."""

    user_id: int | None = None
    label: str | None = None
    client_address: str | None = None


SYSTEM = Actor(label="system")
_actor: ContextVar[Actor] = ContextVar("samverka_actor", default=SYSTEM)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    return _actor.get()


def record(session: Session, action: str, *, object_type: str | None = None, object_id: Any = None,
           tenant_id: int | None = None, detail: dict[str, Any] | None = None) -> None:
    """Append one event in the caller's transaction (so an undone change leaves no event).

    The tenant defaults to the current one when exactly one is in scope. A plain INSERT
    without RETURNING: the application may write events it is not allowed to read back
    (a failed sign-in belongs to no tenant and often to no user).
    """
    if tenant_id is None:
        ids = current_tenant_ids()
        tenant_id = next(iter(ids)) if ids and len(ids) == 1 else None
    actor = _actor.get()
    session.execute(insert(AuditEvent.__table__).values(
        occurred_at=utcnow(), tenant_id=tenant_id, user_id=actor.user_id, actor=actor.label, action=action,
        object_type=object_type, object_id=None if object_id is None else str(object_id),
        client_address=actor.client_address, detail=detail or {},
    ))


def record_many(session: Session, action: str, tenant_ids: list[int], **kwargs: Any) -> None:
    """The same event in each of several tenants (a sign-in shows in every tenant the user
    works in), each written inside its own tenant's scope."""
    if not tenant_ids:
        record(session, action, **kwargs)
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            record(session, action, tenant_id=tenant_id, **kwargs)


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    user_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def events(tenant_id: int, where: AuditFilter):
    """A SELECT of one tenant's events, newest first, narrowed by ``where``."""
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if where.action:
        stmt = stmt.where(AuditEvent.action.startswith(where.action, autoescape=True))
    if where.user_id is not None:
        stmt = stmt.where(AuditEvent.user_id == where.user_id)
    if where.object_type:
        stmt = stmt.where(AuditEvent.object_type == where.object_type)
    if where.object_id:
        stmt = stmt.where(AuditEvent.object_id == where.object_id)
    if where.since:
        stmt = stmt.where(AuditEvent.occurred_at >= where.since)
    if where.until:
        stmt = stmt.where(AuditEvent.occurred_at < where.until)
    return stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


CSV_COLUMNS = ("occurred_at", "action", "user_id", "actor", "object_type", "object_id", "client_address", "detail")


def to_csv(rows, tenant: Tenant | None = None) -> str:
    """The events as CSV, each moment on ``tenant``'s clock with its offset (UTC without a tenant)."""
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(CSV_COLUMNS)
    for event in rows:
        writer.writerow([local_time(event.occurred_at, tenant).isoformat(), event.action, event.user_id or "", event.actor or "",
                         event.object_type or "", event.object_id or "", event.client_address or "",
                         ";".join(f"{k}={v}" for k, v in sorted(event.detail.items()))])
    return out.getvalue()
