"""VIP groups: forming them with trained leaders, changing and cancelling them, their status and completion."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, selectinload

from core.toolkit import (
    Actor,
    Attendance,
    AttendanceStatus,
    ScheduledSession,
    SessionLeader,
    User,
    _,
    acting_as,
    as_utc,
    clean_into,
    current_actor,
    get_or_404,
    ngettext,
    record_audit,
    staff_of_tenant,
    update_session,
    utcnow,
)
from plugins.vip.models import (
    Application,
    ApplicationStatus,
    Group,
    GroupLeader,
    GroupStatus,
    Meeting,
)
from plugins.vip.services import meetings as meeting_services
from plugins.vip.services.group_errors import LOCATION_MAX, NAME_MAX, GroupConflict, GroupError
from plugins.vip.services.offers import OfferConflict, place_counts, withdraw_offers
from plugins.vip.services.register import trained_dates
from plugins.vip.settings import current_settings

#: A keyword argument left out (as opposed to given as None).
UNSET: Any = object()


def list_groups(*, status: GroupStatus | None = None, audience: str | None = None) -> Select:
    """A SELECT of the current tenant's groups, running and planned first, newest first, with leaders."""
    order = case({GroupStatus.running: 0, GroupStatus.planned: 1, GroupStatus.finished: 2}, value=Group.status, else_=3)
    stmt = select(Group).options(selectinload(Group.leaders).selectinload(GroupLeader.user))
    if status is not None:
        stmt = stmt.where(Group.status == status)
    if audience:
        stmt = stmt.where(Group.audience == audience)
    return stmt.order_by(order, Group.created_at.desc(), Group.id.desc())


def _group_loads() -> tuple:
    return (selectinload(Group.leaders).selectinload(GroupLeader.user),
            selectinload(Group.meetings).selectinload(Meeting.session)
            .selectinload(ScheduledSession.leaders).selectinload(SessionLeader.user))


def get_group(session: Session, group_id: int) -> Group | None:
    """A group with its leaders and its meetings' sessions (and their leaders), in a fixed number of queries."""
    return session.scalar(select(Group).where(Group.id == group_id).options(*_group_loads()))


def group_or_404(session: Session, group_id: int) -> Group:
    """As :func:`get_group`, or :class:`NotFound`."""
    return get_or_404(session, Group, group_id, *_group_loads())


def summaries(session: Session, group_ids: Iterable[int], now: datetime | None = None) -> dict[int, dict[str, Any]]:
    """For each group: places ``placed`` (participants) and ``offered`` (held by open offers), as
    :func:`place_counts` counts them, and the start of its next meeting (three queries, also for no
    groups: a page's query count never depends on it)."""
    ids = list(group_ids)
    now = as_utc(now or utcnow())
    result: dict[int, dict[str, Any]] = {
        i: {**places, "next_meeting_at": None}
        for i, places in place_counts(session, ids).items()}
    upcoming = session.execute(
        select(Meeting.group_id, func.min(ScheduledSession.starts_at))
        .join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
        .where(Meeting.group_id.in_(ids), ScheduledSession.cancelled.is_(False), ScheduledSession.starts_at > now)
        .group_by(Meeting.group_id)
    )
    for group_id, starts_at in upcoming:
        result[group_id]["next_meeting_at"] = as_utc(starts_at) if starts_at else None
    return result


def staff_with_training(session: Session) -> list[tuple[User, date | None]]:
    """The current tenant's staff (anyone with a role here), by name, with the date each was
    trained as a VIP leader or None (two queries)."""
    users = staff_of_tenant(session)
    trained = trained_dates(session, users)
    return [(user, trained[user.id]) for user in users]


def participants(session: Session, group: Group) -> list[Application]:
    """The group's placed applications with their people, by name (one query)."""
    from core.toolkit import Person

    return list(session.scalars(
        select(Application).join(Person, Person.id == Application.person_id)
        .where(Application.group_id == group.id, Application.status == ApplicationStatus.placed)
        .options(selectinload(Application.person))
        .order_by(Person.last_name, Person.first_name, Application.id)
    ))


def check_leaders(session: Session, leader_ids: Iterable[Any],
                  settings: dict[str, Any]) -> tuple[list[User], list[str]]:
    """The leaders as users, and the messages that refuse them (empty when they may lead a group):
    exactly the configured number, each chosen once, each staff here and a trained VIP leader."""
    raw = list(leader_ids or [])
    messages: list[str] = []
    ids: list[int] = []
    for value in raw:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            messages.append(_("Choose the leaders from the list."))
            break
    needed = settings["leaders_per_group"]
    if len(ids) != len(set(ids)):
        messages.append(_("Each leader can be chosen only once."))
    ids = list(dict.fromkeys(ids))
    if len(ids) != needed:
        messages.append(ngettext("Choose exactly %(num)s leader.", "Choose exactly %(num)s leaders.", needed))
    if not ids:
        return [], messages
    users = {u.id: u for u in staff_of_tenant(session, ids)}
    strangers = [i for i in ids if i not in users]
    if strangers:
        # Say nothing about who they are: they may be another organisation's staff.
        messages.append(ngettext("User %(ids)s is not staff of this organisation.",
                                 "Users %(ids)s are not staff of this organisation.", len(strangers),
                                 ids=", ".join(map(str, strangers))))
    staff = [users[i] for i in ids if i in users]
    trained = trained_dates(session, staff)
    for user in staff:
        if trained[user.id] is None:
            messages.append(_("%(name)s is not a trained VIP group leader.", name=user.name))
    return staff, messages


def _clean_name(name: Any, errors: dict[str, list[str]]) -> str:
    name = (name or "").strip() if isinstance(name, str) or name is None else ""
    if not name:
        errors["name"] = [_("Give the group a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("Use at most %(max)s characters.", max=NAME_MAX)]
    else:
        name = clean_into(errors, "name", name)
    return name


def _clean_location(location: Any, errors: dict[str, list[str]]) -> str | None:
    location = (location or "").strip() if isinstance(location, str) or location is None else ""
    if len(location) > LOCATION_MAX:
        errors["location"] = [_("Use at most %(max)s characters.", max=LOCATION_MAX)]
    else:
        location = clean_into(errors, "location", location)
    return location or None


def form_group(session: Session, *, name: str, audience: str, location: str | None, leader_ids: Iterable[Any],
               user: User | None = None) -> Group:
    """Form a group of one of the tenant's audiences, with exactly the configured number of
    trained leaders from the tenant's staff; its capacity comes from the settings. Audited
    (as ``user`` when no user acts already, as for demo data). Raises :class:`GroupError`."""
    settings = current_settings(session)
    errors: dict[str, list[str]] = {}
    name = _clean_name(name, errors)
    location = _clean_location(location, errors)
    if audience not in settings["audiences"]:
        errors["audience"] = [_("Choose one of this organisation's group audiences.")]
    leaders, leader_errors = check_leaders(session, leader_ids, settings)
    if leader_errors:
        errors["leader_ids"] = leader_errors
    if errors:
        raise GroupError(errors)
    group = Group(name=name, audience=audience, location=location, capacity=settings["participants_per_group"],
                  status=GroupStatus.planned, leaders=[GroupLeader(user_id=u.id) for u in leaders])
    session.add(group)
    session.flush()
    actor = current_actor() if user is None or current_actor().user_id is not None else Actor(user_id=user.id)
    with acting_as(actor):
        record_audit(session, "vip.group.form", object_type="vip_group", object_id=group.id,
                     detail={"audience": audience, "capacity": group.capacity, "leader_ids": [u.id for u in leaders]})
    return group


def _future_sessions(group: Group, now: datetime) -> list[ScheduledSession]:
    return [m.session for m in group.meetings if not m.session.cancelled and as_utc(m.session.starts_at) > now]


def update_group(session: Session, group: Group, *, name: Any = UNSET, location: Any = UNSET,
                 leader_ids: Any = UNSET, now: datetime | None = None) -> Group:
    """Rename, move to another room or change the leaders of a group (only what is given).

    Meetings not yet started follow: a new room becomes their place, new leaders their core
    session leaders; neither may be booked elsewhere at those times (a 409 conflict). A
    rename retitles every meeting. A cancelled group cannot change. Audited.
    """
    now = as_utc(now or utcnow())
    if group.status == GroupStatus.cancelled:
        raise GroupConflict({"status": [_("The group is cancelled and cannot be changed.")]})
    settings = current_settings(session)
    errors: dict[str, list[str]] = {}
    new_name = _clean_name(name, errors) if name is not UNSET else group.name
    new_location = _clean_location(location, errors) if location is not UNSET else group.location
    leaders: list[User] | None = None
    if leader_ids is not UNSET:
        leaders, leader_errors = check_leaders(session, leader_ids, settings)
        if leader_errors:
            errors["leader_ids"] = leader_errors
    if errors:
        raise GroupError(errors)

    future = _future_sessions(group, now)
    current_ids = [gl.user_id for gl in group.leaders]
    added = [u for u in leaders if u.id not in current_ids] if leaders is not None else []
    moved = location is not UNSET and new_location != group.location
    # Meetings moved one by one to another room stay there; those in the group's room follow it.
    relocated = [s for s in future if meeting_services.same_room(s.location, group.location)] if moved else []
    new_room = new_location is not None and not meeting_services.same_room(new_location, group.location)
    number = {m.session_id: m.number for m in group.meetings}
    clashes: dict[str, list[str]] = {}
    if added and future:
        clashes["leader_ids"] = meeting_services.find_clashes(
            session, [(number[s.id], s.starts_at, s.ends_at) for s in future], leaders=added, location=None,
            exclude_session_ids=list(number))
    if new_room and relocated:
        clashes["location"] = meeting_services.find_clashes(
            session, [(number[s.id], s.starts_at, s.ends_at) for s in relocated], leaders=[], location=new_location,
            exclude_session_ids=list(number))
    clashes = {field: messages for field, messages in clashes.items() if messages}
    if clashes:
        raise GroupConflict(clashes)

    changed: list[str] = []
    if new_name != group.name:
        group.name = new_name
        for meeting in group.meetings:
            update_session(session, meeting.session, {"title": meeting_services.meeting_title(new_name, meeting.number,
                                                                                             meeting.theme)})
        changed.append("name")
    if moved:
        group.location = new_location
        for scheduled in relocated:
            update_session(session, scheduled, {"location": new_location})
        changed.append("location")
    if leaders is not None and {u.id for u in leaders} != set(current_ids):
        kept = {gl.user_id: gl for gl in group.leaders}
        group.leaders = [kept.get(u.id) or GroupLeader(user_id=u.id) for u in leaders]
        for scheduled in future:
            existing = {sl.user_id: sl for sl in scheduled.leaders}
            scheduled.leaders = [existing.get(u.id) or SessionLeader(user_id=u.id) for u in leaders]
        changed.append("leaders")
    session.flush()
    if changed:
        detail: dict[str, Any] = {"changed": changed}
        if "leaders" in changed:
            detail["leader_ids"] = [u.id for u in leaders or []]
        record_audit(session, "vip.group.update", object_type="vip_group", object_id=group.id, detail=detail)
    return group


def _cancellable(group: Group) -> bool:
    """False when the group is cancelled already; refuses a finished one."""
    if group.status == GroupStatus.finished:
        raise GroupConflict({"status": [_("The group has finished and cannot be cancelled.")]})
    return group.status != GroupStatus.cancelled


def cancel_group(session: Session, group: Group, *, now: datetime | None = None) -> Group:
    """Cancel a group: its open offers of places are withdrawn (services/offers.py, which locks
    the group's row, so no place is taken meanwhile), its participants wait again in their
    old place in line (the course they were promised is not held), and its meetings not yet
    started are cancelled in core. A finished group cannot be cancelled; cancelling twice
    changes nothing."""
    now = as_utc(now or utcnow())
    if not _cancellable(group):
        return group
    try:
        withdrawn = withdraw_offers(session, group, now=now)
    except OfferConflict as exc:  # a place of the group is being changed right now: try again
        raise GroupConflict({"status": [str(exc)]}) from None
    if not _cancellable(group):  # read afresh under the lock: cancelled meanwhile by someone else
        return group
    group.status = GroupStatus.cancelled
    back_in_line = list(session.scalars(select(Application).where(
        Application.group_id == group.id, Application.status == ApplicationStatus.placed)))
    for application in back_in_line:
        application.status, application.group_id, application.placed_at = ApplicationStatus.waiting, None, None
    future = _future_sessions(group, now)
    for scheduled in future:
        update_session(session, scheduled, {"cancelled": True})
    session.flush()
    record_audit(session, "vip.group.cancel", object_type="vip_group", object_id=group.id,
                 detail={"meetings_cancelled": len(future), "offers_withdrawn": withdrawn})
    for application in back_in_line:
        record_audit(session, "vip.application.back_in_line", object_type="vip_application",
                     object_id=application.id, detail={"group_id": group.id, "why": "group_cancelled"})
    return group


def advance_statuses(session: Session, tenant, now: datetime) -> int:
    """The due job: a planned group is running once its first meeting has started, and a
    group has finished once its last meeting has ended (cancelled meetings do not count).
    Returns how many groups changed; running it again at the same ``now`` changes nothing."""
    now = as_utc(now)
    spans = session.execute(
        select(Group, func.min(ScheduledSession.starts_at), func.max(ScheduledSession.ends_at))
        .join(Meeting, Meeting.group_id == Group.id)
        .join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
        .where(Group.status.in_((GroupStatus.planned, GroupStatus.running)), ScheduledSession.cancelled.is_(False))
        .group_by(Group.id)
    ).all()
    changed = 0
    for group, first_start, last_end in spans:
        status = group.status
        if as_utc(last_end) <= now:
            status = GroupStatus.finished
        elif as_utc(first_start) <= now:
            status = GroupStatus.running
        if status != group.status:
            record_audit(session, "vip.group.status", object_type="vip_group", object_id=group.id,
                         detail={"from": group.status.value, "to": status.value})
            group.status = status
            changed += 1
    session.flush()
    return changed


def completion(session: Session, group: Group, now: datetime | None = None) -> dict[int, tuple[int, bool]]:
    """For each participant (placed in the group, or recorded at one of its meetings): how
    many meetings that have started they were present at, and whether that reaches the
    tenant's ``completion_meetings``. A meeting still to come never counts (it may have been
    moved after attendance was recorded). A fixed number of queries whatever the group's size."""
    needed = current_settings(session)["completion_meetings"]
    now = as_utc(now or utcnow())
    attended: dict[int, int] = defaultdict(int)
    counted = case((and_(Attendance.status == AttendanceStatus.present, ScheduledSession.starts_at <= now), 1),
                   else_=0)
    rows = session.execute(
        select(Attendance.person_id, func.sum(counted))
        .join(Meeting, Meeting.session_id == Attendance.session_id)
        .join(ScheduledSession, ScheduledSession.id == Attendance.session_id)
        .where(Meeting.group_id == group.id)
        .group_by(Attendance.person_id)
    )
    for person_id, present in rows:
        attended[person_id] = int(present or 0)
    placed = session.scalars(select(Application.person_id).where(
        Application.group_id == group.id, Application.status == ApplicationStatus.placed))
    for person_id in placed:
        attended.setdefault(person_id, 0)
    return {person_id: (count, count >= needed) for person_id, count in attended.items()}
