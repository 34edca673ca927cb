"""Offers of places in groups, their answers and expiry, and placing participants without overbooking.

The places of a group are its capacity; a place is taken by a participant (an application
``placed`` in the group) or held by an open offer. :func:`place` is the one way into a
group: it locks the group's row, so two confirmations of the last place at the same moment
are taken one after the other and the second is refused with :class:`GroupFull`.

Locks are always taken in one order (the applicant's person, the application, groups by
id, then the offer; see services/locks.py) so two transactions never wait on each other in
a circle. An application whose person was erased or anonymised, or that moved to another
person while the request was on its way, is refused with :class:`ApplicationChanged` (409).

What happens when an offer is not taken:

- Declined: the application is closed (``closed_reason`` "declined"); staff recording the
  answer may keep it in line instead (``keep_in_line``), for someone who wants a later
  group. Either way the place is offered to the next in line.
- Expired (no answer within the tenant's ``offer_days``): the application goes back to
  waiting, moved to the back of its waitlist (a logged move with the system as mover), so
  someone who missed a message is not lost but no longer holds up the others; the place is
  offered to the next in line.

Nobody is offered a place in a group whose offer they declined or let expire before (staff
may still do so, out of turn, with a reason).
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.toolkit import (
    N_,
    Attendance,
    FieldError,
)
from core.toolkit import OfferConflict as CoreOfferConflict
from core.toolkit import (
    OfferStatus,
    ScheduledSession,
    Tenant,
    _,
    answer_offer,
    as_utc,
    current_tenant,
    expire_offers,
    format_date,
    format_time,
    issue_offer,
    label,
    local_time,
    lock_offer,
)
from core.toolkit import offer_for_token as core_offer_for_token
from core.toolkit import queue_email
from core.toolkit import record_audit as record
from core.toolkit import withdraw_offer
from plugins.vip.models import (
    IN_LINE,
    Application,
    ApplicationStatus,
    ContactVia,
    Group,
    GroupStatus,
    Meeting,
    Offer,
)
from plugins.vip.services import letters, locks, waitlist
from plugins.vip.settings import current_settings

#: Groups that take new participants.
OPEN_GROUPS = (GroupStatus.planned, GroupStatus.running)
#: The reason logged when an expired offer sends its application to the back of the line.
EXPIRED_REASON = N_("The offer expired without an answer: moved to the back of the line.")
#: Why an application closed when its offer was declined.
DECLINED = "declined"


class OfferError(FieldError):
    """Invalid input for an offer or a placement; ``errors`` maps field name to messages (422)."""


class OfferConflict(CoreOfferConflict, RuntimeError):
    """The request is fine but the state of things refuses it (409); the message says why.
    Core's :class:`OfferAnswered` and :class:`OfferExpired` (an answer too late or twice) are
    core's offer conflicts too."""


class GroupFull(OfferConflict):
    """The group has no free place."""

    kind = "full"  # the answer page says so



class ApplicationChanged(OfferConflict):
    """The application was erased, anonymised or merged into another person meanwhile."""


def _lock_application_and_person(session: Session, application_id: int) -> Application:
    application = locks.application_with_person(session, application_id)
    if application is None:
        raise ApplicationChanged(_(locks.CHANGED))
    return application


# -- places -----------------------------------------------------------------------------


def _occupied(session: Session, group_id: int, *, excluding_application: int | None = None) -> int:
    """Places taken by participants plus places held by open offers (two queries)."""
    placed = (select(func.count(Application.id))
              .where(Application.group_id == group_id, Application.status == ApplicationStatus.placed))
    held = select(func.count(Offer.id)).where(Offer.group_id == group_id, Offer.status == OfferStatus.open)
    if excluding_application is not None:
        held = held.where(Offer.application_id != excluding_application)
    return (session.scalar(placed) or 0) + (session.scalar(held) or 0)


def place_counts(session: Session, group_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """For each group: places ``placed`` (participants) and ``offered`` (held by open offers).
    The one count of a group's places, for pages, the API and offering; two queries, also for
    no groups, so a page's query count never depends on it."""
    ids = list(group_ids)
    placed = dict(session.execute(
        select(Application.group_id, func.count(Application.id))
        .where(Application.group_id.in_(ids), Application.status == ApplicationStatus.placed)
        .group_by(Application.group_id)).all())
    offered = dict(session.execute(
        select(Offer.group_id, func.count(Offer.id))
        .where(Offer.group_id.in_(ids), Offer.status == OfferStatus.open)
        .group_by(Offer.group_id)).all())
    return {i: {"placed": placed.get(i, 0), "offered": offered.get(i, 0)} for i in ids}


def free_places(session: Session, group: Group) -> int:
    """The group's capacity less its participants and its open offers (never below 0)."""
    return max(0, group.capacity - _occupied(session, group.id))


def places_of(session: Session, groups: Iterable[Group]) -> dict[int, dict[str, int]]:
    """For each group: ``placed``, ``offered`` (open offers) and ``free`` places (the two
    queries of :func:`place_counts`, also for no groups)."""
    groups = list(groups)
    counts = place_counts(session, [g.id for g in groups])
    return {g.id: {**counts[g.id], "free": max(0, g.capacity - counts[g.id]["placed"] - counts[g.id]["offered"])}
            for g in groups}


def _lock_groups(session: Session, *group_ids: int) -> dict[int, Group]:
    found = locks.groups(session, *group_ids)
    if set(found) != set(group_ids):
        raise OfferConflict(_("The group no longer exists."))
    return found


def _check_group_open(group: Group) -> None:
    if group.status not in OPEN_GROUPS:
        raise OfferConflict(_("The group is %(status)s. It takes no new participants.",
                              status=label(group.status).lower()))


def _open_offer(session: Session, application_id: int) -> Offer | None:
    return session.scalar(select(Offer).where(Offer.application_id == application_id,
                                              Offer.status == OfferStatus.open))


def place(session: Session, application: Application, group: Group, *, now: datetime, by_user=None) -> Application:
    """Give ``application`` a place in ``group``: the only way into a group, never past its capacity.

    Locks the applicant's person and the application, then the group's row, so concurrent
    placements in one group are taken one at a time (and a merge or an erasure of the
    applicant waits, or is waited for), then counts the participants and the places
    promised by open offers to others: when none is left this raises :class:`GroupFull`
    (nothing is changed). The application must be in line (waiting or offered) and of the
    group's audience. An open offer of this
    group to the application is taken as accepted (staff recording it); an open offer of
    another group is withdrawn and that place offered to the next in line. The participant
    gets an attendance row for each of the group's meetings that has not started yet.
    """
    now = as_utc(now)
    application = _lock_application_and_person(session, application.id)
    current = _open_offer(session, application.id)
    other_group = current.group_id if current is not None and current.group_id != group.id else None
    locked = _lock_groups(session, group.id, *([other_group] if other_group else []))
    group = locked[group.id]
    if application.audience != group.audience:
        raise OfferError({"application_id": [_("The application is for another audience than the group.")]})
    _check_group_open(group)
    if application.status == ApplicationStatus.placed:
        raise OfferConflict(_("The applicant already has a place in a group."))
    if application.status not in IN_LINE:
        raise OfferConflict(_("The application is no longer on the waitlist."))
    if _occupied(session, group.id, excluding_application=application.id) >= group.capacity:
        raise GroupFull(_("The group is full."), detail="the group is full")

    if current is not None:
        current = lock_offer(session, Offer, current.id)
        if current.group_id == group.id:
            current.status = OfferStatus.accepted
            current.answered_at = current.answered_at or now
            current.answered_by = current.answered_by or getattr(by_user, "id", None)
        else:
            withdraw_offer(current, now=now)
            record(session, "vip.offer.withdraw", object_type="vip_offer", object_id=current.id,
                   detail={"application_id": application.id, "group_id": current.group_id, "why": "placed_elsewhere"})

    application.status = ApplicationStatus.placed
    application.group_id = group.id
    application.placed_at = now
    sessions = session.scalars(
        select(Meeting.session_id).join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
        .where(Meeting.group_id == group.id, ScheduledSession.starts_at > now)).all()
    expected = set(session.scalars(select(Attendance.session_id).where(
        Attendance.session_id.in_(sessions), Attendance.person_id == application.person_id))) if sessions else set()
    session.add_all(Attendance(session_id=s, person_id=application.person_id) for s in sessions if s not in expected)
    session.flush()
    record(session, "vip.application.place", object_type="vip_application", object_id=application.id,
           detail={"group_id": group.id, "meetings": len(sessions)})
    if current is not None and current.group_id != group.id:
        offer_next(session, locked[current.group_id], now=now, by_user=by_user)
    return application


# -- offers -----------------------------------------------------------------------------


def next_in_line(session: Session, group: Group, limit: int = 1, *, lock: bool = False) -> list[Application]:
    """The first ``limit`` waiting applications of the group's audience, in waitlist order,
    leaving out those who declined or let expire an offer of this group before. With
    ``lock``, the first ``limit`` not locked by another transaction, locked and read afresh."""
    refused = select(Offer.application_id).where(
        Offer.group_id == group.id, Offer.status.in_((OfferStatus.declined, OfferStatus.expired)))
    stmt = (waitlist.waitlist(group.audience)
            .where(Application.status == ApplicationStatus.waiting, Application.id.not_in(refused)).limit(limit))
    if lock:
        stmt = stmt.with_for_update(skip_locked=True).execution_options(populate_existing=True)
    return list(session.scalars(stmt))


def make_offer(session: Session, application: Application, group: Group, *, now: datetime,
               out_of_turn_reason: str | None = None, by_user=None) -> Offer:
    """Offer ``application`` a place in ``group`` and queue the offer email.

    Only for a waiting application of the group's audience, and only while the group has a
    free place (:class:`GroupFull` otherwise). The application must be next in line for the
    group (:func:`next_in_line`) unless staff give ``out_of_turn_reason``: it is then moved
    to the front of the waiting applicants, logged like any move with that reason. The offer
    stays open for the tenant's ``offer_days``; the email (in the applicant's language where
    the tenant offers it) goes to the applicant, or to their contact when someone else is
    contacted, with a link to the public answer page. Only the token's SHA-256 is stored.
    """
    now = as_utc(now)
    application = _lock_application_and_person(session, application.id)
    group = _lock_groups(session, group.id)[group.id]
    return _offer(session, application, group, now=now, out_of_turn_reason=out_of_turn_reason, by_user=by_user)


def _offer(session: Session, application: Application, group: Group, *, now: datetime,
           out_of_turn_reason: str | None = None, by_user=None, in_turn: bool = False) -> Offer:
    """:func:`make_offer` once the application and the group are locked; ``in_turn`` when
    :func:`offer_next` chose it (the first unlocked in line, see services/locks.py)."""
    if application.audience != group.audience:
        raise OfferError({"group_id": [_("This group is for another audience than the application.")]})
    _check_group_open(group)
    if application.status == ApplicationStatus.offered:
        raise OfferConflict(_("The applicant already has an open offer."))
    if application.status == ApplicationStatus.placed:
        raise OfferConflict(_("The applicant already has a place in a group."))
    if application.status != ApplicationStatus.waiting:
        raise OfferConflict(_("The application is no longer on the waitlist."))
    if free_places(session, group) < 1:
        raise GroupFull(_("The group has no free place to offer."))

    first = [] if in_turn else next_in_line(session, group)
    out_of_turn = not in_turn and (not first or first[0].id != application.id)
    if out_of_turn:
        if not (out_of_turn_reason or "").strip():
            raise OfferError({"out_of_turn_reason": [_(
                "Someone else is next in line for this group. Give the reason for offering the place out of turn.")]})
        reason = waitlist.clean_reason(out_of_turn_reason, "out_of_turn_reason")
        where = waitlist.positions(session, application.audience)
        waiting = session.scalars(waitlist.waitlist(application.audience).with_only_columns(Application.id)
                                  .where(Application.status == ApplicationStatus.waiting).limit(1)).first()
        front, current = where[waiting], where[application.id]
        if front != current:
            waitlist.move(session, application, front, reason, by_user, now=now)
        else:  # first of the waiting already, but refused this group before: the decision is still logged
            waitlist.log_move(session, application, current, current, reason, by_user, now=now)

    offer = Offer(application_id=application.id, group_id=group.id)
    token = issue_offer(session, offer, now=now, days=current_settings(session)["offer_days"])
    application.status = ApplicationStatus.offered
    session.flush()
    sent = _send_offer(session, offer, application, group, token, now)
    record(session, "vip.offer.make", object_type="vip_offer", object_id=offer.id,
           detail={"application_id": application.id, "group_id": group.id, "out_of_turn": out_of_turn,
                   "emailed": sent})
    return offer


def offer_next(session: Session, group: Group, *, now: datetime, by_user=None) -> list[Offer]:
    """Offer each free place of ``group`` to the next in line of its audience; the offers made.
    An application locked by another transaction right now is passed over (services/locks.py)."""
    now = as_utc(now)
    group = _lock_groups(session, group.id)[group.id]
    if group.status not in OPEN_GROUPS:
        return []
    free = free_places(session, group)
    if free < 1:
        return []
    return [_offer(session, application, group, now=now, by_user=by_user, in_turn=True)
            for application in next_in_line(session, group, free, lock=True)]


def answer(session: Session, offer: Offer, accept: bool, *, by_user=None, via_link: bool = False,
           keep_in_line: bool = False, now: datetime) -> Offer:
    """Record the answer to an open offer: through the link, or by staff on the applicant's word.

    Yes: the applicant gets the place (:func:`place`). No: the application is closed as
    declined, or, when staff say so with ``keep_in_line``, waits on for a later group; the
    place goes to the next in line. An offer answered, withdrawn or expired before raises
    :class:`OfferAnswered` or :class:`OfferExpired` (core's one-time rule) and changes nothing.
    """
    now = as_utc(now)
    application = _lock_application_and_person(session, offer.application_id)
    group = _lock_groups(session, offer.group_id)[offer.group_id]
    offer = answer_offer(session, offer, accept, now=now, by_user=by_user, via_link=via_link)
    if accept:
        place(session, application, group, now=now, by_user=by_user)
    else:
        if keep_in_line:
            application.status = ApplicationStatus.waiting
        else:
            application.status = ApplicationStatus.closed
            application.closed_at = now
            application.closed_reason = DECLINED
        session.flush()
        offer_next(session, group, now=now, by_user=by_user)
    record(session, "vip.offer.answer", object_type="vip_offer", object_id=offer.id,
           detail={"accepted": accept, "via_link": via_link, "kept_in_line": bool(keep_in_line and not accept)})
    return offer


def _holders(session: Session, group_id: int) -> set[int]:
    offered = select(Offer.application_id).where(Offer.group_id == group_id, Offer.status == OfferStatus.open)
    return set(session.scalars(select(Application.id).where(
        ((Application.group_id == group_id) & (Application.status == ApplicationStatus.placed))
        | Application.id.in_(offered))))


def _lock_holders(session: Session, group_id: int) -> tuple[Group, dict[int, Application]]:
    """Lock the applications holding a place in the group (placed, or an open offer), then
    the group (the order of services/locks.py). One that took a place between the read and
    the group's lock is locked too when free; when it is being changed again right now,
    this raises :class:`OfferConflict` (try again) rather than wait against the order."""
    held = locks.applications(session, *_holders(session, group_id))
    group = _lock_groups(session, group_id)[group_id]
    late = _holders(session, group_id) - set(held)
    if late:
        more = locks.applications(session, *late, skip_locked=True)
        if set(more) != late:
            raise OfferConflict(_("Someone is changing a place in this group right now. Try again."))
        held.update(more)
    return group, held


def withdraw_offers(session: Session, group: Group, *, now: datetime) -> int:
    """Take back the open offers of ``group`` (it was cancelled, or offered by mistake): each
    application waits again, keeping its place in line. Returns how many were withdrawn."""
    now = as_utc(now)
    group, held = _lock_holders(session, group.id)
    withdrawn = 0
    for offer_id in session.scalars(select(Offer.id).where(Offer.group_id == group.id, Offer.status == OfferStatus.open)
                                    .order_by(Offer.id)).all():
        offer = lock_offer(session, Offer, offer_id)
        application = held[offer.application_id]
        withdraw_offer(offer, now=now)
        application.status = ApplicationStatus.waiting
        record(session, "vip.offer.withdraw", object_type="vip_offer", object_id=offer.id,
               detail={"application_id": application.id, "group_id": group.id, "why": "group_withdrawn"})
        withdrawn += 1
    session.flush()
    return withdrawn


def expire_due_offers(session: Session, tenant: Tenant, now: datetime) -> int:
    """The due job: expire every open offer past its time, then offer those places on.

    Each expired offer's application goes back to waiting at the back of its waitlist (a
    move logged with :data:`EXPIRED_REASON` and no user), and each group that lost an offer
    offers its free places to the next in line. Idempotent: a second run at the same time
    finds nothing due. Returns how many offers expired. Links in the new offers' emails
    start with the ``base_url`` setting (SAMVERKA_BASE_URL), since no request names a host.
    """
    held: dict[int, Application] = {}
    groups: dict[int, Group] = {}

    def lock_first(due: list[Offer]) -> None:  # applications, then groups, then (core) the offers
        held.update(locks.applications(session, *(offer.application_id for offer in due)))
        groups.update(locks.groups(session, *(offer.group_id for offer in due)))

    def on_expired(offer: Offer) -> None:
        application = held[offer.application_id]
        application.status = ApplicationStatus.waiting
        session.flush()
        waitlist.move_to_back(session, application, EXPIRED_REASON, now=now)
        record(session, "vip.offer.expire", object_type="vip_offer", object_id=offer.id,
               detail={"application_id": application.id, "group_id": offer.group_id})

    now = as_utc(now)
    expired = expire_offers(session, Offer, now, on_expired, lock_first=lock_first, order_by=(Offer.group_id, Offer.id))
    for group in groups.values():
        offer_next(session, group, now=now)
    session.flush()
    return len(expired)


# -- the offer email and the answer page ------------------------------------------------------


def offer_for_token(session: Session, token: str) -> Offer | None:
    """The offer behind an answer link in the current tenant (whatever its status), or None;
    with what the answer page shows of it."""
    return core_offer_for_token(session, Offer, token,
                                selectinload(Offer.application).selectinload(Application.person),
                                selectinload(Offer.group).selectinload(Group.meetings).selectinload(Meeting.session))


def first_meeting(group: Group, now: datetime) -> ScheduledSession | None:
    """The group's first meeting still to come (not cancelled), or None when none is planned."""
    now = as_utc(now)
    upcoming = [m.session for m in group.meetings
                if m.session is not None and not m.session.cancelled and as_utc(m.session.starts_at) > now]
    return min(upcoming, key=lambda s: as_utc(s.starts_at), default=None)


def answer_through_link(session: Session, offer: Offer, accept: bool, now: datetime) -> Offer:
    """The answer the applicant (or their contact) gives on the public answer page."""
    return answer(session, offer, accept, via_link=True, now=now)


def answer_page_context(offer: Offer, now: datetime) -> dict:
    """What the public answer page shows of an offer: the first name only, the group, its first
    meeting still to come and the place."""
    meeting = first_meeting(offer.group, now)
    return dict(offer=offer, first_name=offer.application.person.first_name, group=offer.group,
                meeting=meeting, place=(meeting.location if meeting else None) or offer.group.location)


def _send_offer(session: Session, offer: Offer, application: Application, group: Group, token: str,
                now: datetime) -> bool:
    """Queue the offer email (key ``vip.offer.<id>``) in the applicant's language, with the
    link to the public answer page; False when there is no address to write to."""
    tenant = current_tenant(session)
    group = session.scalars(select(Group).where(Group.id == group.id).options(
        selectinload(Group.meetings).selectinload(Meeting.session))).one()
    meeting = first_meeting(group, now)
    # On the tenant's clock whether a request (staff) or the expiry job (no request) sends it.
    starts = local_time(meeting.starts_at, tenant) if meeting else None

    def context(language: str) -> dict:
        return dict(application=application, person=application.person, group=group, meeting=meeting,
                    place=(meeting.location if meeting else None) or group.location, offer=offer, token=token,
                    for_contact=application.contact_via != ContactVia.self,
                    meeting_day=format_date(starts, "full", rebase=False) if starts else None,
                    meeting_time=format_time(starts, "short", rebase=False) if starts else None,
                    answer_by=format_date(local_time(offer.expires_at, tenant), "full", rebase=False))

    return queue_email(session, to=letters.recipient(application), template="vip/email/offer",
                       key=f"vip.offer.{offer.id}", person=application.person, tenant=tenant,
                       context=context) is not None
