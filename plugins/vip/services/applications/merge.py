"""Merging a VIP applicant into the person staff decided they are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.toolkit import (
    Attendance,
    Person,
    TenantHooks,
    _,
    add_consent,
    erase_person,
    held_by_plugins,
    record_audit,
    utcnow,
)
from plugins.vip.models import IN_LINE, Application, ApplicationStatus, Meeting, Outreach
from plugins.vip.services import locks
from plugins.vip.services.applications.common import (
    ApplicationConflict,
    ApplicationError,
    _changed_meanwhile,
    _close,
    _offer_on,
)
from plugins.vip.settings import KEY


def merge(session: Session, application: Application, into_person: Person, *,
          hooks: TenantHooks) -> Application:
    """Move ``application`` and every other VIP record of its person onto ``into_person``,
    who staff decided is the same person; then erase the person record the application had
    made, through core's erasure, when it holds nothing else. Only ever on staff action.

    When both had an application in line for the same group audience, the one with the
    better place stays in line and the other is closed as ``merged`` (a place it held is
    offered to the next in line).

    Both people are locked first (in id order), then their applications, then the groups
    (services/locks.py), and everything is read afresh: an application that moved to
    another person, or whose person was erased or anonymised, while the request was on
    its way raises :class:`ApplicationConflict`, as does a person to merge into who was.
    """
    old_id, application_id = application.person_id, application.id
    if into_person.id == old_id:
        raise ApplicationError({"person_id": [_("The application already belongs to this person.")]})
    locked, applications = locks.people_and_applications(session, old_id, into_person.id)
    old, into = locked.get(old_id), locked.get(into_person.id)
    application = next((a for a in applications if a.id == application.id), None)
    if old is None or old.anonymised_at is not None or application is None or application.person_id != old_id:
        raise _changed_meanwhile(session, application_id)
    if into is None or into.anonymised_at is not None:
        raise ApplicationConflict(_("The person to merge into was erased or anonymised meanwhile."))
    moved = [a for a in applications if a.person_id == old_id]
    made_by_application = any(a.created_person for a in moved)
    for app in moved:
        app.person_id = into.id
        app.person = into
        app.created_person = False
    _merge_outreach(session, old, into)
    _move_attendance(session, old, into)
    _copy_consents(session, old, into)
    session.flush()
    now = utcnow()
    closed, freed = _close_repeated(session, into, now)
    record_audit(session, "vip.application.merge", object_type="vip_application", object_id=application.id,
                 detail={"from_person": old.id, "into_person": into.id,
                         "applications": sorted(a.id for a in moved), "closed": sorted(closed)})
    _offer_on(session, freed, now)
    if made_by_application and _holds_nothing_else(session, old, hooks):
        erase_person(session, hooks, old, anonymise=False)
    return application


def _merge_outreach(session: Session, old: Person, into: Person) -> None:
    """Outreach is one row per person: move it, or fold it into the row already there."""
    rows = {row.person_id: row for row in session.scalars(
        select(Outreach).where(Outreach.person_id.in_([old.id, into.id])))}
    source, target = rows.get(old.id), rows.get(into.id)
    if source is None:
        return
    if target is None:
        source.person_id = into.id
        return
    for name in ("informed_on", "offered_on"):
        dates = [d for d in (getattr(source, name), getattr(target, name)) if d is not None]
        setattr(target, name, min(dates) if dates else None)
    target.service = target.service or source.service
    if source.note and source.note != target.note:
        target.note = "; ".join(filter(None, [target.note, source.note]))[:500]
    session.delete(source)


def _move_attendance(session: Session, old: Person, into: Person) -> None:
    """Where the person was expected at VIP meetings (and whether they came) goes with their
    place; a meeting both records were expected at keeps the record already there."""
    vip_sessions = select(Meeting.session_id)
    rows = list(session.scalars(select(Attendance).where(
        Attendance.person_id.in_([old.id, into.id]), Attendance.session_id.in_(vip_sessions))))
    kept = {row.session_id for row in rows if row.person_id == into.id}
    for row in rows:
        if row.person_id != old.id:
            continue
        if row.session_id in kept:
            session.delete(row)
        else:
            row.person_id = into.id


def _copy_consents(session: Session, old: Person, into: Person) -> None:
    """The applicant's VIP consent goes with their applications (the old record may be erased)."""
    held = {(c.purpose, c.given_by, c.given_on) for c in into.consents if c.plugin == KEY and c.active}
    for consent in list(old.consents):
        if consent.plugin == KEY and consent.active and (consent.purpose, consent.given_by, consent.given_on) not in held:
            add_consent(session, into, purpose=consent.purpose, given_by=consent.given_by,
                        given_on=consent.given_on, plugin=KEY)
            held.add((consent.purpose, consent.given_by, consent.given_on))


def _close_repeated(session: Session, person: Person, now: datetime) -> tuple[list[int], set[int]]:
    """Of a person's applications in line for one audience, keep the one with an open offer
    or else the best place; close the others as merged. Returns the closed and the groups
    whose offered place they gave up."""
    in_line = list(session.scalars(select(Application).where(
        Application.person_id == person.id, Application.status.in_(IN_LINE))
        .options(selectinload(Application.offers))))
    closed, freed = [], set()
    by_audience: dict[str, list[Application]] = {}
    for app in in_line:
        by_audience.setdefault(app.audience, []).append(app)
    for apps in by_audience.values():
        apps.sort(key=lambda a: (a.status is not ApplicationStatus.offered, a.queue_rank, a.id))
        for extra in apps[1:]:
            freed |= _close(extra, ApplicationStatus.closed, "merged", now)
            closed.append(extra.id)
    return closed, freed


def _holds_nothing_else(session: Session, person: Person, hooks: TenantHooks) -> bool:
    """Whether the person record holds nothing but what the merge took away."""
    if person.legal_hold_reason:
        return False
    if session.scalar(select(Application.id).where(Application.person_id == person.id).limit(1)) is not None:
        return False
    if session.scalar(select(Outreach.id).where(Outreach.person_id == person.id).limit(1)) is not None:
        return False
    if any(c.plugin != KEY for c in person.consents):
        return False
    if session.scalar(select(Attendance.id).where(Attendance.person_id == person.id).limit(1)) is not None:
        return False
    return not held_by_plugins(session, hooks, [person.id], except_plugin=KEY)
