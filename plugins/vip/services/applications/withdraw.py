"""Withdrawing a VIP application (by staff, or by the applicant's link) and the end of the consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.toolkit import (
    Attendance,
    Consent,
    OfferStatus,
    Person,
    ScheduledSession,
    _,
    lookup_digest,
    record_audit,
    utcnow,
)
from plugins.vip.models import IN_LINE, Application, ApplicationStatus, Meeting
from plugins.vip.services import locks
from plugins.vip.services.applications.common import (
    WITHDRAWAL_REASONS,
    ApplicationConflict,
    ApplicationError,
    _changed_meanwhile,
    _close,
    _offer_on,
)
from plugins.vip.settings import KEY

#: Statuses an application can be withdrawn from: in line, or placed before it ends.
WITHDRAWABLE = (*IN_LINE, ApplicationStatus.placed)


def withdraw(session: Session, application: Application, reason: str, *, via_link: bool = False) -> Application:
    """The applicant (or staff on their word) takes the application back, for ``reason``
    (a key of :data:`WITHDRAWAL_REASONS`). Open offers are withdrawn with it; a place held
    in a group is given up: no longer expected at the meetings to come (``group_id`` stays,
    the record of where it was), and each place freed is offered to the next in line. Takes
    the locks placing takes (the person, the application, the groups) and reads them afresh.
    Raises :class:`ApplicationConflict` when it has already ended, or was erased or
    anonymised meanwhile. Returns the application as read under the lock."""
    if reason not in WITHDRAWAL_REASONS:
        raise ApplicationError({"reason": [_("Choose one of the reasons.")]})
    application_id = application.id
    application = locks.application_with_person(session, application_id)
    if application is None:
        raise _changed_meanwhile(session, application_id)
    if application.status not in WITHDRAWABLE:
        raise ApplicationConflict(_("The application has already ended."))
    held = {o.group_id for o in application.offers if o.status is OfferStatus.open}
    if application.status is ApplicationStatus.placed and application.group_id:
        held.add(application.group_id)
    locks.groups(session, *held)  # as placing takes them: person, application, groups
    was = application.status
    now = utcnow()
    freed = _close(application, ApplicationStatus.withdrawn, reason, now)
    if was is ApplicationStatus.placed and application.group_id is not None:
        _leave_future_meetings(session, application, now)
    session.flush()
    record_audit(session, "vip.application.withdraw", object_type="vip_application", object_id=application.id,
                 detail={"reason": reason, "was": was.value, **({"via_link": True} if via_link else {})})
    _offer_on(session, freed, now)
    return application


def application_for_withdrawal(session: Session, token: str | None) -> Application | None:
    """The application the acknowledgement's withdrawal link opens, while it can still be
    withdrawn; None for an unknown or used link (or one of another tenant)."""
    token_hash = lookup_digest(token)
    if token_hash is None:
        return None
    application = session.scalar(select(Application).where(Application.withdraw_token_hash == token_hash)
                                 .options(selectinload(Application.person), selectinload(Application.offers)))
    if application is None or application.status not in WITHDRAWABLE:
        return None
    return application


def withdraw_by_link(session: Session, token: str | None) -> Application | None:
    """The applicant (or their contact) withdraws through the link: as staff withdrawal on
    their word (reason ``applicant_asked``), places freed are offered on. The link works once:
    its token is claimed with a conditional UPDATE first, so of two presses at the same
    moment one withdraws and the other finds it used. None when the link is unknown or used.

    The person, then the application, are locked before the token is claimed (the order of
    services/locks.py): claiming it first would hold the application while waiting for the
    person, and deadlock with a merge or erasure holding the person and waiting for it."""
    application = application_for_withdrawal(session, token)
    if application is None:
        return None
    application = locks.application_with_person(session, application.id)
    if (application is None or application.withdraw_token_hash != lookup_digest(token)
            or application.status not in WITHDRAWABLE):
        return None  # used, withdrawn, merged or erased while this press waited for its locks
    application.withdraw_token_hash = None
    return withdraw(session, application, "applicant_asked", via_link=True)


def _leave_future_meetings(session: Session, application: Application, now: datetime) -> None:
    """A participant who gave up their place is no longer expected at the meetings to come."""
    upcoming = (select(Meeting.session_id).join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
                .where(Meeting.group_id == application.group_id, ScheduledSession.starts_at > now))
    for row in session.scalars(select(Attendance).where(
            Attendance.person_id == application.person_id, Attendance.session_id.in_(upcoming),
            Attendance.status.is_(None))):
        session.delete(row)


def consent_withdrawn(session: Session, person: Person, consent: Consent) -> None:
    """The person withdrew their VIP consent: their applications still in line close
    (``consent_withdrawn``) and open offers are withdrawn, so no offer or reminder goes out.
    Another VIP consent still in force keeps them in line."""
    if any(c.id != consent.id and c.plugin == KEY and c.withdrawn_on is None for c in person.consents):
        return
    now = utcnow()
    closed, freed = [], set()
    in_line = session.scalars(select(Application.id).where(
        Application.person_id == person.id, Application.status.in_(IN_LINE))).all()
    for application in locks.applications(session, *in_line).values():
        if application.status not in IN_LINE:
            continue
        freed |= _close(application, ApplicationStatus.closed, "consent_withdrawn", now)
        closed.append(application.id)
    if closed:
        session.flush()
        record_audit(session, "vip.application.consent_withdrawn", object_type="person", object_id=person.id,
                     detail={"applications": sorted(closed)})
        _offer_on(session, freed, now)
