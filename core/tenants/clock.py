"""The tenant's clock: which tenant a unit of work runs in, its time zone, local time <-> UTC.

Times are stored in UTC; a tenant plans and reads them on its own clock (a meeting at 13:00 in
Stockholm is at 13:00 there in winter and in summer). These work without a request (jobs,
emails), unlike Flask-Babel's per-request time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.db import as_utc, current_tenant_id
from core.tenants.models import Tenant


def current_tenant(session: Session) -> Tenant:
    """The tenant the current unit of work runs in (raises ``TenancyError`` outside exactly one)."""
    return session.get(Tenant, current_tenant_id())


def zone(tenant: Tenant | None) -> tzinfo:
    """The zone of ``tenant``'s clock (UTC for no tenant)."""
    return ZoneInfo(tenant.timezone) if tenant is not None else timezone.utc


def current_zone(session: Session) -> tzinfo:
    """The zone of the current tenant's clock."""
    return zone(current_tenant(session))


def local(moment: datetime, in_zone: tzinfo) -> datetime:
    """A stored (UTC, or naive UTC) ``moment`` as a clock in ``in_zone`` shows it, aware."""
    return as_utc(moment).astimezone(in_zone)


def local_time(moment: datetime, tenant: Tenant | None) -> datetime:
    """A stored (UTC) ``moment`` as ``tenant``'s clock shows it, aware."""
    return local(moment, zone(tenant))


def from_local(day: date, at: time, in_zone: tzinfo) -> datetime:
    """The moment (aware, UTC) a clock in ``in_zone`` shows ``day`` at ``at`` (a naive time).

    Around a daylight-saving change: a time the clock skips (02:30 on the spring-forward night
    in Stockholm) is read with the offset before the change, so it lands an hour later on the
    clock (03:30); a time the clock shows twice (02:30 on the fall-back night) is the first
    one, still in summer time (PEP 495, ``fold=0``).
    """
    return datetime.combine(day, at).replace(tzinfo=in_zone).astimezone(timezone.utc)
