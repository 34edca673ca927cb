"""Everything VIP holds about a person: the export and erasure hooks.

What VIP holds: the person's applications (channel, audience, contact person, needs,
status and dates), the offers of places made on them, the manual moves in the waitlist
(with the reason staff gave, which is about the person), the group they were placed in and
the VIP meetings they were expected at (core's attendance, which core itself does not
export), and their outreach row. In a tenant that trains leaders, also their records on
leader courses: trainees are not core people, so they are matched to the person by email
(trainee emails are kept lower-case; a person without an email matches none).

Erasure deletes all of it. Anonymisation (on request, or core's retention job once
``Person.retain_until`` has passed) keeps what the figures need and nothing identifying:
each application keeps its audience, channel, first-timer flag, dates, status and group,
and loses the contact person, the needs and every waitlist move (their reasons are free
text); an application still in line is closed (``anonymised``), its open offer withdrawn and
that place offered to the next in line. The outreach row
keeps its two dates and loses the service and the note. The anonymised person row core
keeps is what these rows point to: no name, no contact, no national ID. Leader-course
records are deleted either way (no figure counts them), and this tenant's part of the
national register for that email goes with them; what another training tenant recorded
stays (:func:`plugins.vip.services.register.state`).

VIP has no retention duty of its own that could refuse an erasure: the course is
voluntary and its records are no case file. A legal hold is core's: core refuses before
calling this hook. So ``kept`` is always empty.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.hookspecs import ErasureReport
from core.toolkit import (
    Attendance,
    OfferStatus,
    Person,
    ScheduledSession,
    Tenant,
    as_utc,
    utcnow,
    withdraw_offer,
)
from core.toolkit import zone as tenant_zone
from plugins.vip.models import IN_LINE, Application, ApplicationStatus, Meeting, Offer, Outreach, Trainee
from plugins.vip.services import locks, offers, training

#: The word an application closed by anonymisation carries in ``closed_reason``.
ANONYMISED = "anonymised"


def _moment(zone: tzinfo, value: datetime | None) -> str | None:
    """A stored moment on the tenant's clock, with its offset (as every export shows times)."""
    return as_utc(value).astimezone(zone).isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _applications(session: Session, person: Person) -> list[Application]:
    return list(session.scalars(
        select(Application).where(Application.person_id == person.id).order_by(Application.applied_at, Application.id)
        .options(selectinload(Application.offers).selectinload(Offer.group), selectinload(Application.moves),
                 selectinload(Application.group))
    ))


def _outreach(session: Session, person: Person) -> Outreach | None:
    return session.scalar(select(Outreach).where(Outreach.person_id == person.id))


def _trainees(session: Session, person: Person) -> list[Trainee]:
    """The person's records on this tenant's leader courses, matched by their email."""
    email = (person.email or "").strip().lower()
    if not email:
        return []
    return list(session.scalars(select(Trainee).where(Trainee.email == email)
                                .options(selectinload(Trainee.course)).order_by(Trainee.id)))


def _trainee(trainee: Trainee) -> dict[str, Any]:
    return {
        "course": trainee.course.name,
        "starts_on": _day(trainee.course.starts_on),
        "ends_on": _day(trainee.course.ends_on),
        "name": trainee.name,
        "email": trainee.email,
        "organisation": trainee.organisation,
        "municipality": trainee.municipality,
        "completed_on": _day(trainee.completed_on),
    }


def _application(application: Application, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": application.id,
        "channel": application.channel.value,
        "audience": application.audience,
        "taken_before": application.taken_before,
        "contact_via": application.contact_via.value,
        "contact_name": application.contact_name,
        "contact_phone": application.contact_phone,
        "contact_email": application.contact_email,
        "needs": application.needs,
        "applied_at": _moment(zone, application.applied_at),
        "status": application.status.value,
        "placed_at": _moment(zone, application.placed_at),
        "closed_at": _moment(zone, application.closed_at),
        "closed_reason": application.closed_reason,
        "group": {"id": application.group.id, "name": application.group.name} if application.group else None,
        "offers": [{
            "group": offer.group.name,
            "offered_at": _moment(zone, offer.offered_at),
            "expires_at": _moment(zone, offer.expires_at),
            "status": offer.status.value,
            "answered_at": _moment(zone, offer.answered_at),
            "answered_via_link": offer.answered_via_link,
        } for offer in application.offers],
        "waitlist_moves": [{
            "from_position": move.from_position,
            "to_position": move.to_position,
            "reason": move.reason,
            "moved_at": _moment(zone, move.moved_at),
        } for move in application.moves],
    }


def export_person(session: Session, person: Person) -> dict[str, Any] | None:
    """Everything VIP holds about ``person`` as JSON-ready data, or None when nothing.
    Five queries and their loaders: applications (with offers, groups and moves), outreach,
    meetings, leader-course records."""
    applications = _applications(session, person)
    outreach = _outreach(session, person)
    meetings = session.execute(
        select(Meeting, ScheduledSession, Attendance)
        .join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
        .join(Attendance, Attendance.session_id == ScheduledSession.id)
        .where(Attendance.person_id == person.id)
        .options(selectinload(Meeting.group))
        .order_by(ScheduledSession.starts_at, Meeting.id)
    ).all()
    trainees = _trainees(session, person)
    if not applications and outreach is None and not meetings and not trainees:
        return None
    zone = tenant_zone(session.get(Tenant, person.tenant_id))
    return {
        "applications": [_application(a, zone) for a in applications],
        "meetings": [{
            "group": meeting.group.name,
            "number": meeting.number,
            "theme": meeting.theme,
            "starts_at": _moment(zone, scheduled.starts_at),
            "location": scheduled.location,
            "cancelled": scheduled.cancelled,
            "attendance": attendance.status.value if attendance.status else None,
        } for meeting, scheduled, attendance in meetings],
        "outreach": None if outreach is None else {
            "service": outreach.service,
            "informed_on": _day(outreach.informed_on),
            "offered_on": _day(outreach.offered_on),
            "note": outreach.note,
            "updated_at": _moment(zone, outreach.updated_at),
        },
        "leader_training": [_trainee(t) for t in trainees],
    }


def held(session: Session, person_ids: list[int]) -> set[int]:
    """Who among ``person_ids`` VIP holds anything about: those :func:`export_person` would
    not answer None for. At most four queries whatever the number of people."""
    ids = set(person_ids)
    found = set(session.scalars(select(Application.person_id).where(Application.person_id.in_(ids)).distinct()))
    found |= set(session.scalars(select(Outreach.person_id).where(Outreach.person_id.in_(ids))))
    found |= set(session.scalars(
        select(Attendance.person_id).join(Meeting, Meeting.session_id == Attendance.session_id)
        .where(Attendance.person_id.in_(ids)).distinct()))
    emails: dict[str, set[int]] = {}
    for person_id, email in session.execute(select(Person.id, Person.email).where(
            Person.id.in_(ids - found), Person.email.is_not(None))):
        if email.strip():
            emails.setdefault(email.strip().lower(), set()).add(person_id)
    if emails:
        for email in session.scalars(select(Trainee.email).where(Trainee.email.in_(emails)).distinct()):
            found |= emails[email]
    return found


def erase_person(session: Session, person: Person, anonymise: bool) -> ErasureReport | None:
    """Erase VIP's records of ``person``, or with ``anonymise`` strip them of everything
    identifying (see the module's docstring); None when VIP holds nothing about them.
    Core's attendance goes with core's person record (or stays with the anonymised one).

    Core holds the person's lock; the applications are locked next, then the groups whose
    place they give up (services/locks.py), and each place given up (an open offer, or a
    place in a group not yet over when the record is erased) goes to the next in line.
    """
    ids = session.scalars(select(Application.id).where(Application.person_id == person.id)).all()
    locks.applications(session, *ids)
    applications = _applications(session, person)
    outreach = _outreach(session, person)
    trainees = _trainees(session, person)
    if not applications and outreach is None and not trainees:
        return None
    freed = {o.group_id for a in applications for o in a.offers if o.status == OfferStatus.open}
    if not anonymise:
        freed |= {a.group_id for a in applications if a.status == ApplicationStatus.placed and a.group is not None
                  and a.group.status in offers.OPEN_GROUPS}
    groups = locks.groups(session, *freed)
    report = ErasureReport()
    offer_count = sum(len(a.offers) for a in applications)
    moves = sum(len(a.moves) for a in applications)
    now = utcnow()
    if not anonymise:
        for application in applications:
            session.delete(application)  # its offers and moves go with it
        if outreach is not None:
            session.delete(outreach)
        report.erased = {"application": len(applications), "offer": offer_count, "waitlist_move": moves,
                         "outreach": int(outreach is not None)}
    else:
        for application in applications:
            application.contact_name = application.contact_phone = application.contact_email = None
            application.needs = None
            application.withdraw_token_hash = None
            if application.status in IN_LINE:
                application.status = ApplicationStatus.closed
                application.closed_at = now
                application.closed_reason = ANONYMISED
            for offer in application.offers:
                offer.token_hash = None
                if offer.status == OfferStatus.open:
                    withdraw_offer(offer, now=now)
            application.moves.clear()  # delete-orphan: the moves and their reasons go
        if outreach is not None:
            outreach.service = outreach.note = None
        report.anonymised = {"application": len(applications), "offer": offer_count,
                             "outreach": int(outreach is not None)}
        report.erased = {"waitlist_move": moves}
    if trainees:
        for trainee in trainees:
            session.delete(trainee)
        session.flush()
        training.restate(session, trainees[0].email)
        report.erased = {**report.erased, "trainee": len(trainees)}
    session.flush()
    for group in groups.values():
        offers.offer_next(session, group, now=now)
    return report
