"""VIP figures for national comparison (the metrics hook) and for the plugin's overview.

Every figure is computed for many tenants at once, in a fixed number of GROUP BY queries
whatever the number of tenants (core/stats calls them inside the scope of all of them).
Rates are percentages (0-100) and, like medians, come back as a ``Rate`` (value, base) so core
hides them where fewer than five people stand behind them; every requested tenant gets a
rate, with base 0 where there is nothing to measure. Counts leave suppression to core.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session

from core.hookspecs import Metric, Rate
from core.toolkit import (
    Attendance,
    AttendanceStatus,
    ScheduledSession,
    as_utc,
    plugin_tenants,
    staff_emails,
    utcnow,
)
from plugins.vip.models import (
    IN_LINE,
    Application,
    ApplicationStatus,
    Group,
    GroupStatus,
    Meeting,
    Outreach,
    TrainedLeader,
)
from plugins.vip.services.outreach import people_counted
from plugins.vip.services.register import email_digest
from plugins.vip.settings import KEY, current_settings, load_settings


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _rates(tenant_ids: list[int], parts: dict[int, tuple[int, int]]) -> dict[int, Rate]:
    """``{tenant: (part, whole)}`` as ``{tenant: (percent, whole)}`` for every tenant asked."""
    return {t: Rate(_share(*parts[t]), parts[t][1]) if t in parts else Rate(0.0, 0) for t in tenant_ids}


def tenant_settings(session: Session, tenant_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each tenant's VIP settings with defaults filled in, from one query."""
    stored = plugin_tenants(session, KEY, tenant_ids)
    return {t: load_settings(stored.get(t)) for t in tenant_ids}


def _placed():
    return and_(Application.status == ApplicationStatus.placed, Application.group_id.is_not(None))


def applications(session: Session, tenant_ids: list[int]) -> dict[int, int]:
    """Applications received (any channel, any status), per tenant."""
    rows = session.execute(
        select(Application.tenant_id, func.count(Application.id))
        .where(Application.tenant_id.in_(tenant_ids))
        .group_by(Application.tenant_id)
    )
    return dict(rows.all())


def first_timer_counts(session: Session, tenant_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``(first-timers, applications)`` per tenant."""
    rows = session.execute(
        select(Application.tenant_id,
               func.sum(case((Application.taken_before.is_(False), 1), else_=0)),
               func.count(Application.id))
        .where(Application.tenant_id.in_(tenant_ids))
        .group_by(Application.tenant_id)
    )
    return {tenant_id: (int(first or 0), total) for tenant_id, first, total in rows}


def first_timers(session: Session, tenant_ids: list[int]) -> dict[int, Rate]:
    """Share of applications from people who had not taken the course before (%)."""
    return _rates(tenant_ids, first_timer_counts(session, tenant_ids))


def _first_meetings():
    """Each group's first meeting that was not called off: group id and its start."""
    return (
        select(Meeting.group_id.label("group_id"), func.min(ScheduledSession.starts_at).label("starts_at"))
        .join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
        .where(ScheduledSession.cancelled.is_(False))
        .group_by(Meeting.group_id)
        .subquery()
    )


def days_to_start(session: Session, tenant_ids: list[int], now: datetime | None = None) -> dict[int, Rate]:
    """Median whole days from application to the first meeting of the group the applicant
    was placed in, over placed applicants whose group has started; one query, the median
    taken here (SQLite has no percentile function)."""
    first = _first_meetings()
    rows = session.execute(
        select(Application.tenant_id, Application.applied_at, first.c.starts_at)
        .join(first, first.c.group_id == Application.group_id)
        .where(Application.tenant_id.in_(tenant_ids), _placed(), first.c.starts_at <= (now or utcnow()))
    )
    days: dict[int, list[int]] = defaultdict(list)
    for tenant_id, applied_at, starts_at in rows:
        days[tenant_id].append(max(0, (as_utc(starts_at).date() - as_utc(applied_at).date()).days))
    return {t: Rate(float(statistics.median(days[t])), len(days[t])) if days[t] else Rate(0.0, 0) for t in tenant_ids}


def groups_started(session: Session, tenant_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """Groups whose first meeting has begun, per tenant."""
    rows = session.execute(
        select(Group.tenant_id, func.count(distinct(Group.id)))
        .join(Meeting, Meeting.group_id == Group.id)
        .join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
        .where(Group.tenant_id.in_(tenant_ids), ScheduledSession.cancelled.is_(False),
               ScheduledSession.starts_at <= (now or utcnow()))
        .group_by(Group.tenant_id)
    )
    return dict(rows.all())


def participants(session: Session, tenant_ids: list[int]) -> dict[int, int]:
    """Applicants who got a place in a group, per tenant."""
    rows = session.execute(
        select(Application.tenant_id, func.count(Application.id))
        .where(Application.tenant_id.in_(tenant_ids), _placed())
        .group_by(Application.tenant_id)
    )
    return dict(rows.all())


def completion_counts(session: Session, tenant_ids: list[int], now: datetime | None = None) -> dict[int, tuple[int, int]]:
    """``(completed, participants)`` of finished groups per tenant. A participant completed
    when present at least the tenant's ``completion_meetings`` of their group's meetings
    that have started (core attendance). Two queries: the settings, and meetings attended
    per participant."""
    needed = {t: s["completion_meetings"] for t, s in tenant_settings(session, tenant_ids).items()}
    rows = session.execute(
        select(Application.tenant_id, Application.id, func.count(Attendance.id))
        .join(Group, Group.id == Application.group_id)
        .outerjoin(Meeting, Meeting.group_id == Group.id)
        .outerjoin(ScheduledSession, and_(ScheduledSession.id == Meeting.session_id,
                                          ScheduledSession.starts_at <= (now or utcnow())))
        .outerjoin(Attendance, and_(Attendance.session_id == ScheduledSession.id,
                                    Attendance.person_id == Application.person_id,
                                    Attendance.status == AttendanceStatus.present))
        .where(Application.tenant_id.in_(tenant_ids), _placed(), Group.status == GroupStatus.finished)
        .group_by(Application.tenant_id, Application.id)
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for tenant_id, _application_id, present in rows:
        counts[tenant_id][1] += 1
        if present >= needed[tenant_id]:
            counts[tenant_id][0] += 1
    return {t: (done, total) for t, (done, total) in counts.items()}


def completion_rate(session: Session, tenant_ids: list[int]) -> dict[int, Rate]:
    """Share of the participants of finished groups who completed the course (%)."""
    return _rates(tenant_ids, completion_counts(session, tenant_ids))


def outreach_counts(session: Session, tenant_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``(offered at least once, registered)`` users of disability services per tenant, counted
    as people (:func:`plugins.vip.services.outreach.people_counted`)."""
    rows = session.execute(
        select(Outreach.tenant_id, *people_counted())
        .where(Outreach.tenant_id.in_(tenant_ids))
        .group_by(Outreach.tenant_id)
    )
    return {tenant_id: (offered, total) for tenant_id, offered, total in rows}


def outreach_coverage(session: Session, tenant_ids: list[int]) -> dict[int, Rate]:
    """Share of registered users of disability services offered the course (%)."""
    return _rates(tenant_ids, outreach_counts(session, tenant_ids))


def trained_leaders(session: Session, tenant_ids: list[int]) -> dict[int, int]:
    """Staff (active users with any role at the tenant) who are in the national register of
    trained leaders, per tenant running VIP. Three queries: who runs VIP, their staff's addresses,
    and the register entries matching those addresses' digests."""
    running = plugin_tenants(session, KEY, tenant_ids, enabled=True)
    if not running:
        return {}
    staff = {tenant_id: {email_digest(email) for email in emails}
             for tenant_id, emails in staff_emails(session, running).items()}
    digests = set().union(*staff.values())
    trained = set(session.scalars(
        select(TrainedLeader.email_digest).where(TrainedLeader.email_digest.in_(digests))
    )) if digests else set()
    found = {tenant_id: people & trained for tenant_id, people in staff.items()}
    return {tenant_id: len(people) for tenant_id, people in found.items() if people}


METRICS = [
    Metric("vip.applications", "VIP applications", applications),
    Metric("vip.first_timers", "VIP first-timers, per cent of applications", first_timers, kind="rate"),
    Metric("vip.days_to_start", "VIP median days from application to start", days_to_start, kind="median"),
    Metric("vip.groups_started", "VIP groups started", groups_started),
    Metric("vip.participants", "VIP participants", participants),
    Metric("vip.completion_rate", "VIP completion, per cent of participants of finished groups", completion_rate,
           kind="rate"),
    Metric("vip.outreach_coverage", "VIP outreach, per cent of registered users offered the course", outreach_coverage,
           kind="rate"),
    Metric("vip.trained_leaders", "VIP trained leaders among staff", trained_leaders),
]


def tenant_figures(session: Session, tenant_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The same figures for one tenant (the current one), unsuppressed: its own staff see
    them. Rates keep their parts so a page can say "12 of 40". A fixed number of queries."""
    ids = [tenant_id]
    first, total = first_timer_counts(session, ids).get(tenant_id, (0, 0))
    completed, finished = completion_counts(session, ids, now).get(tenant_id, (0, 0))
    offered, registered = outreach_counts(session, ids).get(tenant_id, (0, 0))
    median, started_base = days_to_start(session, ids, now)[tenant_id]

    def rate(part: int, whole: int) -> dict[str, Any]:
        return {"percent": _share(part, whole) if whole else None, "count": part, "of": whole}

    return {
        "applications": total,
        "first_timers": rate(first, total),
        "days_to_start": {"median": median if started_base else None, "of": started_base},
        "groups_started": groups_started(session, ids, now).get(tenant_id, 0),
        "participants": participants(session, ids).get(tenant_id, 0),
        "completion": rate(completed, finished),
        "outreach": rate(offered, registered),
        "trained_leaders": trained_leaders(session, ids).get(tenant_id, 0),
    }


def waitlist_lengths(session: Session, audiences: list[str]) -> list[tuple[str, int]]:
    """Applications in line (waiting or offered a place) per audience of the current tenant:
    every configured audience, then any other that still has people in line."""
    counts = dict(session.execute(
        select(Application.audience, func.count(Application.id))
        .where(Application.status.in_(IN_LINE)).group_by(Application.audience)
    ).all())
    others = sorted(a for a in counts if a not in audiences)
    return [(audience, counts.get(audience, 0)) for audience in [*audiences, *others]]


#: How many planned and running groups the overview lists (a tenant runs a handful).
OPEN_GROUPS_SHOWN = 100


def open_groups(session: Session) -> dict[str, Any]:
    """The current tenant's planned and running groups with their participants and first
    meeting, and how many groups there are in each status. Two queries."""
    placed = (
        select(Application.group_id.label("group_id"), func.count(Application.id).label("placed"))
        .where(_placed()).group_by(Application.group_id).subquery()
    )
    first = _first_meetings()
    rows = session.execute(
        select(Group, func.coalesce(placed.c.placed, 0), first.c.starts_at)
        .outerjoin(placed, placed.c.group_id == Group.id)
        .outerjoin(first, first.c.group_id == Group.id)
        .where(Group.status.in_((GroupStatus.planned, GroupStatus.running)))
        .order_by(case((Group.status == GroupStatus.running, 0), else_=1), first.c.starts_at.is_(None),
                  first.c.starts_at, Group.name, Group.id)
        .limit(OPEN_GROUPS_SHOWN)
    ).all()
    by_status = dict(session.execute(select(Group.status, func.count(Group.id)).group_by(Group.status)).all())
    return {
        "counts": {status.value: by_status.get(status, 0) for status in GroupStatus},
        "groups": [{"id": group.id, "name": group.name, "audience": group.audience, "status": group.status,
                    "participants": count, "capacity": group.capacity, "starts_at": starts_at}
                   for group, count, starts_at in rows],
    }


def overview(session: Session, tenant_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Everything the plugin's overview shows for the current tenant (page and API)."""
    settings = current_settings(session)
    return {
        "figures": tenant_figures(session, tenant_id, now),
        "waitlists": [{"audience": a, "in_line": n} for a, n in waitlist_lengths(session, settings["audiences"])],
        "groups": open_groups(session),
        "trains_leaders": settings["trains_leaders"],
    }
