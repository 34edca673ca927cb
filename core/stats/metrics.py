"""Core's own metrics: SQL aggregates grouped by tenant, never rows."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.hookspecs import Metric
from core.people.models import Person
from core.sessions.models import ScheduledSession


def people(session: Session, tenant_ids: list[int]) -> dict[int, int]:
    """People registered and not anonymised, per tenant."""
    rows = session.execute(
        select(Person.tenant_id, func.count(Person.id))
        .where(Person.tenant_id.in_(tenant_ids), Person.anonymised_at.is_(None))
        .group_by(Person.tenant_id)
    )
    return {tenant_id: count for tenant_id, count in rows}


def sessions(session: Session, tenant_ids: list[int]) -> dict[int, int]:
    """Sessions held (begun, not cancelled), per tenant."""
    rows = session.execute(
        select(ScheduledSession.tenant_id, func.count(ScheduledSession.id))
        .where(ScheduledSession.tenant_id.in_(tenant_ids), ScheduledSession.starts_at < utcnow(),
               ScheduledSession.cancelled.is_(False))
        .group_by(ScheduledSession.tenant_id)
    )
    return {tenant_id: count for tenant_id, count in rows}


CORE_METRICS = [
    Metric("core.people", "People registered", people),
    Metric("core.sessions", "Sessions held", sessions),
]
