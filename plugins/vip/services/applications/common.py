"""What the parts of VIP applications share: errors, lookups and queries, ending an application."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from core.toolkit import N_, Conflict, FieldError, NotFound, OfferStatus, Person, _, get_or_404, withdraw_offer
from plugins.vip.models import (
    IN_LINE,
    Application,
    ApplicationStatus,
    Channel,
    Group,
    GroupStatus,
)
from plugins.vip.services import locks, offers

#: Why an application was withdrawn: the key is stored (``closed_reason``), the label shown.
WITHDRAWAL_REASONS = {
    "applicant_asked": N_("The applicant no longer wants a place"),
    "moved_away": N_("The applicant has moved away"),
    "not_reached": N_("We could not reach the applicant"),
    "other_support": N_("The applicant gets other support instead"),
    "other": N_("Another reason"),
}

#: Why an application ended without a place, in words (``closed_reason``).
CLOSED_REASONS = {
    **WITHDRAWAL_REASONS,
    "merged": N_("The same person applied twice"),
    "consent_withdrawn": N_("The consent was withdrawn"),
    "declined": N_("Said no to the offer"),
    "expired": N_("Did not answer the offer in time"),
}


class ApplicationError(FieldError):
    """Invalid application data; ``errors`` maps field name to messages, as the API returns them."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__({k: [str(m) for m in v] for k, v in errors.items()})


class ApplicationConflict(Conflict):
    """The application is in a state that does not allow this (already withdrawn, say)."""


class ApplicationGone(NotFound, ApplicationConflict):
    """The application was erased, or its applicant anonymised, while the request was on its
    way: a 404 (there is nothing left to act on), and still an :class:`ApplicationConflict`."""


# --------------------------------------------------------------------------- reading

def applications_query(*, audience: str | None = None, status: ApplicationStatus | None = None,
                       channel: Channel | None = None):
    """The current tenant's applications, newest first, with their people, filtered."""
    # The condition on the person sits in the join: in a WHERE, core's tenancy check cannot
    # see through the count subquery of a page that the table is reached through its class.
    stmt = (select(Application)
            .join(Person, and_(Person.id == Application.person_id, Person.anonymised_at.is_(None)))
            .options(contains_eager(Application.person))
            .order_by(Application.applied_at.desc(), Application.id.desc()))
    if audience:
        stmt = stmt.where(Application.audience == audience)
    if status is not None:
        stmt = stmt.where(Application.status == status)
    if channel is not None:
        stmt = stmt.where(Application.channel == channel)
    return stmt


def application_or_404(session: Session, application_id: int) -> Application:
    """One application of the current tenant with its offers, or :class:`NotFound`, also when its
    applicant was anonymised (what is left is statistics, not an application to act on)."""
    application = get_or_404(session, Application, application_id,
                             selectinload(Application.offers), selectinload(Application.person))
    if application.person.anonymised_at is not None:
        raise NotFound("no such application in this tenant")
    return application


def _changed_meanwhile(session: Session, application_id: int) -> Exception:
    """What to raise for an application that changed while the request was on its way:
    :class:`ApplicationGone` when it is gone (erased, or its applicant anonymised), else
    :class:`ApplicationConflict` (withdrawn, merged into someone else)."""
    current = session.scalar(select(Application).where(Application.id == application_id)
                             .options(selectinload(Application.person))
                             .execution_options(populate_existing=True))
    if current is None or current.person.anonymised_at is not None:
        return ApplicationGone("no such application in this tenant")
    return ApplicationConflict(_(locks.CHANGED))


def get_application(session: Session, application_id: int) -> Application | None:
    """One application of the current tenant with its offers, or None (also for other tenants' ids)."""
    return session.scalar(select(Application).where(Application.id == application_id)
                          .options(selectinload(Application.offers), selectinload(Application.person)))


def open_applications(session: Session, person_id: int, audience: str) -> list[Application]:
    """The person's applications for ``audience`` still open: in line, or placed in a group
    that has not finished (nor been cancelled)."""
    return list(session.scalars(
        select(Application).outerjoin(Group, Group.id == Application.group_id)
        .where(Application.person_id == person_id, Application.audience == audience,
               or_(Application.status.in_(IN_LINE),
                   and_(Application.status == ApplicationStatus.placed,
                        Group.status.in_((GroupStatus.planned, GroupStatus.running)))))
        .order_by(Application.id)))


# --------------------------------------------------------------------------- ending

def _close(application: Application, status: ApplicationStatus, reason: str, now: datetime) -> set[int]:
    """End the application; returns the groups whose place it held (an open offer, or a
    place in a group), so the caller can offer them on."""
    freed = {application.group_id} if application.status is ApplicationStatus.placed and application.group_id else set()
    application.status = status
    application.closed_at = now
    application.closed_reason = reason
    application.withdraw_token_hash = None
    for offer in application.offers:
        if offer.status is OfferStatus.open:
            withdraw_offer(offer, now=now)
            offer.token_hash = None
            freed.add(offer.group_id)
    return freed


def _offer_on(session: Session, group_ids: Iterable[int], now: datetime) -> None:
    """A place given up goes to the next in line, as when an offer expires. The groups are
    locked in id order, after the applications (services/locks.py)."""
    for group in locks.groups(session, *group_ids).values():
        offers.offer_next(session, group, now=now)
