"""VIP's retention (the due job): unplaced applications go, participants' records get a date.

- An application that never led to a place (withdrawn or closed, never placed) is erased
  once it has been closed for the tenant's ``unplaced_retention_days``. When the
  application made the person record, and nothing else holds the person (no other VIP
  application, no outreach row, no consent or session of another programme, nothing any
  other enabled plugin holds: ``samverka_people_held``, asked once for everyone due), the
  person is erased through core, which asks every plugin; otherwise only the application
  goes.
- A participant's record is kept ``participant_retention_days`` after the last meeting
  held in their group, once the group has finished (or was cancelled after it began):
  ``Person.retain_until`` is set to that day (only ever moved later), and core's retention
  job anonymises them when it has passed (VIP's erase hook then keeps only what the
  figures need). While the person has an application still in line or a place in a
  group not yet finished, their date (if they have one) is kept at least that many days
  ahead, so they are not anonymised while they wait for a place or take part.

A person under a legal hold is left alone. Running twice at the same ``now`` changes
nothing the second time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.toolkit import (
    Attendance,
    Consent,
    LegalHold,
    Person,
    PersonGone,
    ScheduledSession,
    Tenant,
    TenantHooks,
    as_utc,
    erase_person,
    held_by_plugins,
    lock_people,
    record_audit,
)
from plugins.vip.models import IN_LINE, Application, ApplicationStatus, Group, GroupStatus, Meeting, Outreach
from plugins.vip.settings import KEY, current_settings

#: Unplaced applications handled per run; the rest fall due on the next run.
BATCH = 500

ENDED = (ApplicationStatus.withdrawn, ApplicationStatus.closed)


def due_unplaced(session: Session, before: datetime) -> list[Application]:
    """Applications of the current tenant that ended without a place before ``before``. An
    application without a closing time counts from when it was made."""
    return list(session.scalars(
        select(Application)
        .where(Application.status.in_(ENDED), Application.placed_at.is_(None),
               func.coalesce(Application.closed_at, Application.applied_at) < before)
        .order_by(Application.id).limit(BATCH)
    ))


def _held_elsewhere(session: Session, hooks: TenantHooks, erasing: dict[int, set[int]]) -> set[int]:
    """Which of the people in ``erasing`` (person id -> the applications about to be erased)
    something else holds: another VIP application, an outreach row, a consent or a session
    of another programme, or the records of another enabled plugin (asked once for all of
    them). A fixed number of queries whatever the number of people."""
    ids = set(erasing)
    erased = {application_id for applications in erasing.values() for application_id in applications}
    held = set(session.scalars(select(Application.person_id).where(
        Application.person_id.in_(ids), Application.id.not_in(erased)).distinct()))
    held |= set(session.scalars(select(Outreach.person_id).where(Outreach.person_id.in_(ids))))
    held |= set(session.scalars(select(Consent.person_id).where(
        Consent.person_id.in_(ids), Consent.plugin.is_not(None), Consent.plugin != KEY).distinct()))
    held |= set(session.scalars(select(Attendance.person_id).where(
        Attendance.person_id.in_(ids), Attendance.session_id.not_in(select(Meeting.session_id))).distinct()))
    return held | held_by_plugins(session, hooks, ids - held, except_plugin=KEY)


def _erase_unplaced(session: Session, hooks: TenantHooks, before: datetime) -> int:
    due = due_unplaced(session, before)
    by_person: dict[int, list[Application]] = {}
    for application in due:
        by_person.setdefault(application.person_id, []).append(application)
    people = lock_people(session, *by_person)  # all of them first, in id order (core's rule)
    by_person = {person_id: applications for person_id, applications in by_person.items()
                 if (person := people.get(person_id)) is not None and person.anonymised_at is None
                 and not person.legal_hold_reason}
    made = {person_id: {a.id for a in applications} for person_id, applications in by_person.items()
            if any(a.created_person for a in applications)}
    held = _held_elsewhere(session, hooks, made) if made else set()
    erased = 0
    for person_id, applications in by_person.items():
        if person_id in made and person_id not in held:
            try:
                erase_person(session, hooks, people[person_id], anonymise=False)
            except (LegalHold, PersonGone):
                continue
            erased += len(applications)
            continue
        for application in applications:
            record_audit(session, "vip.application.erase", object_type="vip_application", object_id=application.id,
                         detail={"reason": "retention"})
            session.delete(application)
            erased += 1
    session.flush()
    return erased


def _course_ends(session: Session, now: datetime) -> dict[int, date]:
    """For each person who had a place in a group that is over (finished, or cancelled
    after it began), the day of the last meeting held there."""
    rows = session.execute(
        select(Application.person_id, func.max(ScheduledSession.starts_at))
        .join(Group, Group.id == Application.group_id)
        .join(Meeting, Meeting.group_id == Group.id)
        .join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
        .where(Group.status.in_((GroupStatus.finished, GroupStatus.cancelled)),
               ScheduledSession.cancelled.is_(False), ScheduledSession.starts_at <= now,
               or_(Application.status == ApplicationStatus.placed, Application.placed_at.is_not(None)))
        .group_by(Application.person_id)
    )
    return {person_id: as_utc(last).date() for person_id, last in rows}


def _active(session: Session) -> set[int]:
    """People with an application in line, or a place in a group not yet finished."""
    return set(session.scalars(
        select(Application.person_id).outerjoin(Group, Group.id == Application.group_id)
        .where(or_(Application.status.in_(IN_LINE),
                   (Application.status == ApplicationStatus.placed)
                   & Group.status.in_((GroupStatus.planned, GroupStatus.running))))
        .distinct()
    ))


def extend_retention(session: Session, now: datetime, days: int) -> int:
    """Set or extend ``retain_until`` of participants (see the module's docstring); the
    number of people whose date moved. Three queries whatever the number of people."""
    today = now.date()
    ends = _course_ends(session, now)
    active = _active(session)
    wanted = {person_id: end + timedelta(days=days) for person_id, end in ends.items()}
    keep_alive = today + timedelta(days=days)
    people = session.scalars(
        select(Person).where(Person.id.in_(set(wanted) | active), Person.anonymised_at.is_(None),
                             or_(Person.id.in_(set(wanted)), Person.retain_until.is_not(None)))
    ) if wanted or active else []
    moved = 0
    for person in people:
        target = wanted.get(person.id)
        if person.id in active and (target is not None or person.retain_until is not None):
            target = max(target or keep_alive, keep_alive)
        if target is not None and (person.retain_until is None or person.retain_until < target):
            person.retain_until = target
            moved += 1
    session.flush()
    return moved


def erase_unplaced(session: Session, tenant: Tenant, now: datetime, hooks: TenantHooks) -> int:
    """The retention job of the current tenant (``tenant``): erase unplaced applications
    past their period and date participants' records. Returns the applications erased plus
    the people whose retention date moved: 0 when a run changed nothing."""
    settings = current_settings(session)
    now = as_utc(now)
    erased = _erase_unplaced(session, hooks, now - timedelta(days=settings["unplaced_retention_days"]))
    return erased + extend_retention(session, now, settings["participant_retention_days"])
