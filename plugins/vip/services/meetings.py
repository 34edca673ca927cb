"""VIP group meetings: generating the course as core sessions without double bookings, moving
one, recording attendance and reminding participants before each meeting."""

from __future__ import annotations

import zlib
from collections import defaultdict
from contextlib import nullcontext
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Callable, Iterable

from babel.lists import format_list
from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import Session, joinedload, selectinload

from core.toolkit import (
    Attendance,
    AttendanceStatus,
    ScheduledSession,
    SessionError,
    SessionLeader,
    Tenant,
    User,
    _,
    as_utc,
    clean_into,
    create_session,
    current_tenant_id,
    current_zone,
    force_locale,
    format_date,
    format_time,
    from_local,
    get_or_404,
    has_consent,
    local,
    queue_email,
    queued_keys,
    record_attendance,
    record_audit,
    update_session,
    utcnow,
)
from core.toolkit import zone as zone_of
from plugins.vip.models import Application, ApplicationStatus, ContactVia, Group, GroupLeader, GroupStatus, Meeting
from plugins.vip.services import letters
from plugins.vip.services.group_errors import LOCATION_MAX, GroupConflict, GroupError
from plugins.vip.settings import DEFAULT_CURRICULUM, KEY, current_settings

MAX_EVERY_DAYS = 28
#: Meetings are planned within these years (anything else is a typing error, and far dates overflow).
YEARS = (2000, 2100)
#: The first key of the advisory lock that serialises a tenant's booking checks (a signed int4).
BOOKING_LOCK = zlib.crc32(b"vip.bookings") - 2**31
#: Attendance already recorded as not coming: no reminder for that meeting.
NOT_COMING = (AttendanceStatus.absent_with_notice, AttendanceStatus.cancelled)


def theme_label(theme: str) -> str:
    """A theme in the reader's language when it is one of the default curriculum's; a
    tenant's own wording as written."""
    return _(theme) if theme in DEFAULT_CURRICULUM else theme


def meeting_title(group_name: str, number: int, theme: str = "") -> str:
    """The core session's stored title, the same in every language: ``"<group> #<number>"``.
    The theme's key stays on the meeting row; :func:`session_titles` words the title for a reader."""
    suffix = f" #{number}"
    return group_name[:200 - len(suffix)] + suffix


def display_title(group_name: str, number: int, theme: str, language: str | None = None) -> str:
    """A meeting's title in ``language`` (default: the current one): "<group>: meeting 3 – <theme>"."""
    with force_locale(language) if language else nullcontext():
        if theme:
            return _("%(group)s: meeting %(number)s – %(theme)s", group=group_name, number=number,
                     theme=theme_label(theme))
        return _("%(group)s: meeting %(number)s", group=group_name, number=number)


def session_titles(session: Session, sessions: Iterable[ScheduledSession], language: str) -> dict[int, str]:
    """The titles of VIP's meetings among ``sessions`` in ``language`` (one query)."""
    ids = [s.id for s in sessions if s.plugin == KEY]
    if not ids:
        return {}
    rows = session.execute(
        select(Meeting.session_id, Meeting.number, Meeting.theme, Group.name)
        .join(Group, Group.id == Meeting.group_id).where(Meeting.session_id.in_(ids))
    )
    return {session_id: display_title(name, number, theme, language) for session_id, number, theme, name in rows}


def same_room(a: str | None, b: str | None) -> bool:
    """Whether two places name the same room: trimmed, spaces collapsed, case ignored."""
    def norm(value):
        return " ".join((value or "").split()).casefold()
    return norm(a) == norm(b)


def _span(start: datetime, end: datetime, zone: tzinfo, *, with_date: bool = False) -> str:
    start, end = local(start, zone), local(end, zone)
    first = start.strftime("%Y-%m-%d %H:%M") if with_date else start.strftime("%H:%M")
    last = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{first}–{last}"


def lock_bookings(session: Session) -> None:
    """On PostgreSQL, hold the current tenant's booking lock until the transaction ends: two
    plans checked at the same moment are checked one after the other, so they cannot both
    take the same leader or room. (SQLite has a single writer anyway.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key, :tenant)"),
                        {"key": BOOKING_LOCK, "tenant": current_tenant_id()})


def find_clashes(session: Session, slots: Iterable[tuple[int, datetime, datetime]], *, leaders: Iterable[User],
                 location: str | None, exclude_session_ids: Iterable[int] = ()) -> list[str]:
    """Messages for each slot ``(meeting number, start, end)`` where one of ``leaders`` leads,
    or the room ``location`` holds, another non-cancelled session of this tenant at an
    overlapping time, of any programme. The other session is named only by its time: its
    title may carry another programme's personal data. Takes the booking lock
    (:func:`lock_bookings`) first, so a plan found free stays free until it is committed."""
    slots = [(n, as_utc(s), as_utc(e)) for n, s, e in slots]
    leaders = list(leaders)
    if not slots or (not leaders and not (location or "").strip()):
        return []
    lock_bookings(session)
    stmt = (
        select(ScheduledSession)
        .where(ScheduledSession.cancelled.is_(False),
               or_(*[and_(ScheduledSession.starts_at < end, ScheduledSession.ends_at > start)
                     for _n, start, end in slots]))
        .options(selectinload(ScheduledSession.leaders))
        .order_by(ScheduledSession.starts_at, ScheduledSession.id)
    )
    excluded = list(exclude_session_ids)
    if excluded:
        stmt = stmt.where(ScheduledSession.id.not_in(excluded))
    others = list(session.scalars(stmt))
    zone = current_zone(session)
    messages: list[str] = []
    for number, start, end in slots:
        when = local(start, zone).strftime("%Y-%m-%d %H:%M")
        for other in others:
            if not (as_utc(other.starts_at) < end and as_utc(other.ends_at) > start):
                continue
            busy = {sl.user_id for sl in other.leaders}
            span = _span(other.starts_at, other.ends_at, zone, with_date=local(other.starts_at, zone).date()
                         != local(start, zone).date())
            for leader in leaders:
                if leader.id in busy:
                    messages.append(_("Meeting %(number)s (%(when)s): %(leader)s leads another session at that "
                                      "time (%(span)s).", number=number, when=when, leader=leader.name, span=span))
            if location and other.location and same_room(location, other.location):
                messages.append(_("Meeting %(number)s (%(when)s): the room %(room)s is booked for another session "
                                  "at that time (%(span)s).", number=number, when=when, room=location.strip(),
                                  span=span))
    return messages


def plan_starts(first_start: datetime, count: int, every_days: int, skip_dates: Iterable[date],
                zone: tzinfo) -> list[datetime]:
    """``count`` starts, ``every_days`` apart on the local clock (the same time of day across
    a change to or from summer time), passing over the local dates in ``skip_dates``."""
    skip = set(skip_dates)
    first = local(first_start, zone)
    starts: list[datetime] = []
    step = 0
    while len(starts) < count:
        day = first.date() + timedelta(days=step * every_days)
        step += 1
        if day in skip:
            continue
        starts.append(from_local(day, first.time().replace(tzinfo=None), zone))
    return starts


def _meeting_loads() -> tuple:
    return (joinedload(Meeting.group).selectinload(Group.leaders).selectinload(GroupLeader.user),
            joinedload(Meeting.session).selectinload(ScheduledSession.leaders).selectinload(SessionLeader.user),
            joinedload(Meeting.session).selectinload(ScheduledSession.attendance).selectinload(Attendance.person))


def get_meeting(session: Session, meeting_id: int) -> Meeting | None:
    """A meeting with its group (and leaders), its session, the session's leaders and its
    attendance with the people, in a fixed number of queries."""
    return session.scalar(select(Meeting).where(Meeting.id == meeting_id).options(*_meeting_loads()))


def meeting_or_404(session: Session, meeting_id: int) -> Meeting:
    """As :func:`get_meeting`, or :class:`NotFound`."""
    return get_or_404(session, Meeting, meeting_id, *_meeting_loads())


def plausible(moment: date) -> bool:
    """Whether a date (or moment) lies within the years meetings are planned in."""
    return YEARS[0] <= moment.year <= YEARS[1]


def _group_open(group: Group) -> None:
    if group.status == GroupStatus.cancelled:
        raise GroupConflict({"status": [_("The group is cancelled.")]})


def generate_meetings(session: Session, group: Group, *, first_start: datetime | None, every_days: int = 7,
                      location: str | None = None, skip_dates: Iterable[date] = ()) -> list[Meeting]:
    """Create the course: the tenant's ``meetings_per_course`` meetings as core sessions
    (plugin "vip", kind "group_meeting", reference ``vip_group:<id>``), ``meeting_minutes``
    long, ``every_days`` apart from ``first_start``, in ``location`` (default the group's
    room), with the group's leaders and placed participants, each with its theme from the
    curriculum. Refused (a :class:`GroupError` with ``conflict``) when the group already
    has meetings or is cancelled, and when a leader or the room is booked by another
    session at the time of any of them."""
    settings = current_settings(session)
    _group_open(group)
    if group.status == GroupStatus.finished:
        raise GroupConflict({"status": [_("The group has finished.")]})
    # The group's row first (as services/offers.place takes it): nobody is placed in the group
    # between reading its participants and adding them to the meetings. Then the bookings.
    session.execute(select(Group.id).where(Group.id == group.id).with_for_update())
    lock_bookings(session)
    if session.scalar(select(Meeting.id).where(Meeting.group_id == group.id).limit(1)) is not None:
        raise GroupConflict({"first_start": [_("This group already has its meetings.")]})
    errors: dict[str, list[str]] = {}
    if first_start is None:
        errors["first_start"] = [_("Give the date and time of the first meeting.")]
    elif not plausible(first_start):
        errors["first_start"] = [_("Give a date from %(first)s to %(last)s.", first=YEARS[0], last=YEARS[1])]
    if not isinstance(every_days, int) or not 1 <= every_days <= MAX_EVERY_DAYS:
        errors["every_days"] = [_("Give a number of days from 1 to %(max)s.", max=MAX_EVERY_DAYS)]
    room = _room(location if location is not None else group.location, errors)
    if errors:
        raise GroupError(errors)

    zone = current_zone(session)
    count, minutes = settings["meetings_per_course"], settings["meeting_minutes"]
    starts = plan_starts(first_start, count, every_days, skip_dates, zone)
    slots = [(n, start, start + timedelta(minutes=minutes)) for n, start in enumerate(starts, 1)]
    leaders = [gl.user for gl in group.leaders]
    _refuse_double_booking(session, slots, leaders, room, when_field="first_start")

    participant_ids = list(session.scalars(select(Application.person_id).where(
        Application.group_id == group.id, Application.status == ApplicationStatus.placed).order_by(Application.id)))
    curriculum = settings["curriculum"]
    created: list[Meeting] = []
    for number, start, end in slots:
        theme = curriculum[number - 1] if number <= len(curriculum) else ""
        scheduled = create_session(session, {
            "plugin": KEY, "kind": "group_meeting", "title": meeting_title(group.name, number, theme),
            "starts_at": start, "ends_at": end, "location": room, "reference": f"vip_group:{group.id}",
        }, leader_ids=[u.id for u in leaders], participant_ids=participant_ids)
        meeting = Meeting(group_id=group.id, session_id=scheduled.id, number=number, theme=theme)
        meeting.session = scheduled
        session.add(meeting)
        created.append(meeting)
    if location is not None and not group.location:
        group.location = room
    session.flush()
    session.expire(group, ["meetings"])
    record_audit(session, "vip.group.meetings", object_type="vip_group", object_id=group.id,
                 detail={"meetings": len(created), "every_days": every_days,
                         "first_start": as_utc(starts[0]).isoformat() if starts else None})
    return created


def _room(location: str | None, errors: dict[str, list[str]]) -> str:
    """The place a meeting is held, trimmed; a missing or overlong one is noted in ``errors``."""
    room = (location or "").strip()
    if not room:
        errors["location"] = [_("Give the place where the group meets.")]
    elif len(room) > LOCATION_MAX:
        errors["location"] = [_("Use at most %(max)s characters.", max=LOCATION_MAX)]
    else:
        room = clean_into(errors, "location", room)
    return room


def _refuse_double_booking(session: Session, slots, leaders, room: str, *, when_field: str,
                           exclude_session_ids: Iterable[int] = ()) -> None:
    """Raise a conflict naming each clash when a leader or the room is taken at any of ``slots``."""
    exclude = list(exclude_session_ids)
    clashes: dict[str, list[str]] = {}
    leader_clashes = find_clashes(session, slots, leaders=leaders, location=None, exclude_session_ids=exclude)
    room_clashes = find_clashes(session, slots, leaders=[], location=room, exclude_session_ids=exclude)
    if leader_clashes:
        clashes[when_field] = leader_clashes
    if room_clashes:
        clashes["location"] = room_clashes
    if clashes:
        raise GroupConflict(clashes)


def _series(session: Session, group: Group) -> list[Meeting]:
    """The group's meetings that are not cancelled, in order, with their sessions and leaders."""
    return list(session.scalars(
        select(Meeting).join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
        .where(Meeting.group_id == group.id, ScheduledSession.cancelled.is_(False))
        .options(joinedload(Meeting.session).selectinload(ScheduledSession.leaders).selectinload(SessionLeader.user))
        .order_by(Meeting.number)
    ))


def _shifted(start: datetime, delta: timedelta, zone: tzinfo) -> datetime:
    """``start`` moved by ``delta`` on the local clock (a week later is the same time of day
    across a change to or from summer time)."""
    moved = local(start, zone).replace(tzinfo=None) + delta
    return from_local(moved.date(), moved.time(), zone)


def reschedule(session: Session, meeting: Meeting, starts_at: datetime | None, location: str | None = None, *,
               move_later: bool = False, now: datetime | None = None) -> Meeting:
    """Move one meeting to ``starts_at`` (keeping its length) and, when given, to ``location``.

    The series stays in order and out of the past: the new time must still be to come and
    after the previous meeting; it must also be before the next one, unless ``move_later``,
    when every later meeting moves by the same amount on the local clock. Refused like
    generation when a leader or the room is booked by another session at any moved
    meeting's new time; all or nothing."""
    group = meeting.group
    _group_open(group)
    scheduled = meeting.session
    if scheduled.cancelled:
        raise GroupConflict({"starts_at": [_("This meeting is cancelled.")]})
    now = as_utc(now or utcnow())
    errors: dict[str, list[str]] = {}
    if starts_at is None:
        errors["starts_at"] = [_("Give the new date and time.")]
    elif not plausible(starts_at):
        errors["starts_at"] = [_("Give a date from %(first)s to %(last)s.", first=YEARS[0], last=YEARS[1])]
    elif as_utc(starts_at) < now:
        errors["starts_at"] = [_("That time has passed. Choose a time still to come.")]
    room = _room(location if location is not None else scheduled.location, errors)
    if errors:
        raise GroupError(errors)
    zone = current_zone(session)
    starts_at = as_utc(starts_at)
    series = _series(session, group)
    earlier = [m for m in series if m.number < meeting.number]
    later = [m for m in series if m.number > meeting.number]
    order = _out_of_order(meeting, starts_at, earlier[-1] if earlier else None,
                          None if move_later or not later else later[0], zone)
    if order:
        raise GroupError({"starts_at": order})

    moves = [(meeting, starts_at, room)]
    if move_later:
        delta = local(starts_at, zone).replace(tzinfo=None) - local(scheduled.starts_at, zone).replace(tzinfo=None)
        moves += [(m, _shifted(m.session.starts_at, delta, zone), m.session.location) for m in later]
        passed = [m for m, start, _room_ in moves[1:] if start < now]
        if passed:
            raise GroupError({"starts_at": [_("Meeting %(number)s would move to a time that has passed.",
                                              number=m.number) for m in passed]})
    _refuse_moves_double_booked(session, moves)
    for moved, start, place in moves:
        length = as_utc(moved.session.ends_at) - as_utc(moved.session.starts_at)
        try:
            update_session(session, moved.session, {"starts_at": start, "ends_at": start + length, "location": place})
        except SessionError as exc:
            raise GroupError(exc.errors) from exc
    record_audit(session, "vip.meeting.reschedule", object_type="vip_meeting", object_id=meeting.id,
                 detail={"starts_at": starts_at.isoformat(), "room_changed": not same_room(room, group.location),
                         "later_moved": len(moves) - 1})
    return meeting


def _out_of_order(meeting: Meeting, starts_at: datetime, previous: Meeting | None, following: Meeting | None,
                  zone: tzinfo) -> list[str]:
    """Messages when ``meeting`` at ``starts_at`` would not come after ``previous`` and before ``following``."""
    messages = []
    if previous is not None and starts_at <= as_utc(previous.session.starts_at):
        messages.append(_("Meeting %(number)s must come after meeting %(other)s (%(when)s).", number=meeting.number,
                          other=previous.number,
                          when=local(previous.session.starts_at, zone).strftime("%Y-%m-%d %H:%M")))
    if following is not None and starts_at >= as_utc(following.session.starts_at):
        messages.append(_("Meeting %(number)s must come before meeting %(other)s (%(when)s). Choose an earlier "
                          "time, or move the later meetings by the same amount.", number=meeting.number,
                          other=following.number,
                          when=local(following.session.starts_at, zone).strftime("%Y-%m-%d %H:%M")))
    return messages


def _refuse_moves_double_booked(session: Session, moves: list[tuple[Meeting, datetime, str]]) -> None:
    """Raise a conflict naming each clash of a moved meeting's leaders or room at its new time
    with a session that does not move (the moved ones keep their order and so miss each other)."""
    moving = [m.session.id for m, _start, _place in moves]
    slots: dict[tuple[frozenset[int], str], list] = defaultdict(list)
    leaders_of: dict[frozenset[int], list[User]] = {}
    for m, start, place in moves:
        users = [sl.user for sl in m.session.leaders]
        key = frozenset(u.id for u in users)
        leaders_of[key] = users
        length = as_utc(m.session.ends_at) - as_utc(m.session.starts_at)
        slots[(key, place or "")].append((m.number, start, start + length))
    clashes: dict[str, list[str]] = defaultdict(list)
    for (key, place), wanted in slots.items():
        clashes["starts_at"] += find_clashes(session, wanted, leaders=leaders_of[key], location=None,
                                             exclude_session_ids=moving)
        clashes["location"] += find_clashes(session, wanted, leaders=[], location=place or None,
                                            exclude_session_ids=moving)
    clashes = {field: messages for field, messages in clashes.items() if messages}
    if clashes:
        raise GroupConflict(clashes)


def record(session: Session, meeting: Meeting, statuses: dict[int, AttendanceStatus | str | None], *,
           now: datetime | None = None) -> list[Attendance]:
    """Record attendance at a meeting through core (None clears a status); the participants
    must be the meeting's, and before the meeting starts only "cancelled" or "absent with
    notice" can be recorded (core's rule). Audited without names."""
    if meeting.session.cancelled:
        raise GroupConflict({"attendance": [_("This meeting is cancelled.")]})
    try:
        rows = record_attendance(session, meeting.session, statuses, now=now)
    except SessionError as exc:
        if exc.not_started:
            raise GroupError({"attendance": [_(
                "The meeting has not started yet. Before it starts, only “cancelled” or “absent with notice” "
                "can be recorded.")]}) from exc
        raise GroupError({"attendance": [_("Record attendance only for the participants of this meeting.")]}) from exc
    record_audit(session, "vip.meeting.attendance", object_type="vip_meeting", object_id=meeting.id,
                 detail={"recorded": sum(1 for s in statuses.values() if s),
                         "cleared": sum(1 for s in statuses.values() if not s)})
    return rows


def send_reminders(session: Session, tenant: Tenant, now: datetime) -> int:
    """The due job: queue one reminder per participant of every meeting that starts within
    the tenant's ``reminder_hours``, in easy-to-read words and the person's language: when,
    where, the theme, that coffee or tea is served. It goes to the person, or to their
    contact when the application says so; never to someone whose VIP consent has ended, who
    has said they will not come, or who has no address. Each (meeting, person) is queued
    once (the outbox key ``vip.reminder.<meeting>.<person>``). Returns how many were queued."""
    now = as_utc(now)
    settings = current_settings(session)
    horizon = now + timedelta(hours=settings["reminder_hours"])
    meetings = list(session.scalars(
        select(Meeting)
        .join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
        .join(Group, Group.id == Meeting.group_id)
        .where(ScheduledSession.cancelled.is_(False), Group.status != GroupStatus.cancelled,
               ScheduledSession.starts_at > now, ScheduledSession.starts_at <= horizon)
        .options(joinedload(Meeting.group),
                 joinedload(Meeting.session).selectinload(ScheduledSession.attendance),
                 joinedload(Meeting.session).selectinload(ScheduledSession.leaders).selectinload(SessionLeader.user))
        .order_by(ScheduledSession.starts_at, Meeting.id)
    ))
    if not meetings:
        return 0
    applications = {
        (a.group_id, a.person_id): a for a in session.scalars(
            select(Application).where(Application.group_id.in_({m.group_id for m in meetings}),
                                      Application.status == ApplicationStatus.placed)
            .options(selectinload(Application.person)))
    }
    wanted = [(meeting, row) for meeting in meetings for row in meeting.session.attendance
              if row.status not in NOT_COMING and (meeting.group_id, row.person_id) in applications]
    sent = queued_keys(session, (f"vip.reminder.{m.id}.{row.person_id}" for m, row in wanted))
    zone = zone_of(tenant)
    queued = 0
    for meeting, row in wanted:
        key = f"vip.reminder.{meeting.id}.{row.person_id}"
        application = applications[(meeting.group_id, row.person_id)]
        person = application.person
        address = letters.recipient(application)
        if key in sent or person.anonymised_at is not None or not address:
            continue
        if not has_consent(session, person, plugin=KEY, on=now.astimezone(zone).date()):
            continue
        queued += queue_email(session, to=address, template="vip/email/reminder", key=key, person=person,
                              tenant=tenant, context=_reminder(meeting, application, zone, settings)) is not None
    session.flush()
    return queued


def _reminder(meeting: Meeting, application: Application, zone: tzinfo, settings: dict) -> Callable[[str], dict]:
    """What a reminder says, in the reader's language ``lang``: when (on the tenant's clock),
    where, the theme, which meeting of how many, who leads it."""
    start, end = local(meeting.session.starts_at, zone), local(meeting.session.ends_at, zone)

    def context(lang: str) -> dict:
        return {
            "person": application.person, "to_contact": application.contact_via != ContactVia.self,
            "day": format_date(start, "full", rebase=False), "starts": format_time(start, "short", rebase=False),
            "ends": format_time(end, "short", rebase=False), "place": meeting.session.location,
            "theme": theme_label(meeting.theme), "number": meeting.number,
            "meetings": settings["meetings_per_course"],
            "leaders": format_list(sorted(sl.user.name for sl in meeting.session.leaders), locale=lang),
        }

    return context


def meeting_rows(meetings: Iterable[Meeting], zone: tzinfo) -> list[dict[str, Any]]:
    """What pages show of each meeting: local start and end, place, theme in the reader's language."""
    return [{
        "meeting": m, "starts": local(m.session.starts_at, zone), "ends": local(m.session.ends_at, zone),
        "location": m.session.location, "theme": theme_label(m.theme), "cancelled": m.session.cancelled,
    } for m in meetings]
