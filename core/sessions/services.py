"""Session rules: planning meetings, leaders and participants, attendance, calendar feeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.auth.services import staff_of_tenant
from core.db import as_utc, utcnow
from core.errors import FieldError, get_or_404
from core.people.models import Person
from core.sessions.models import Attendance, AttendanceStatus, CalendarFeed, ScheduledSession, SessionLeader
from core.tenants.models import Tenant
from core.tokens import digest, new_token

#: How far back a calendar feed reaches; older sessions are of no use in a calendar app.
FEED_HISTORY = timedelta(days=90)
#: What may be recorded before a session starts: that someone will not come.
IN_ADVANCE = (AttendanceStatus.cancelled, AttendanceStatus.absent_with_notice)


class SessionError(FieldError):
    """Invalid session data; ``errors`` maps field name to messages. ``not_started`` marks
    attendance refused because the session has not begun."""

    def __init__(self, errors: dict[str, list[str]], *, not_started: bool = False) -> None:
        super().__init__(errors)
        self.not_started = not_started


def _check_people(session: Session, leader_ids: Iterable[int], participant_ids: Iterable[int]) -> dict:
    errors: dict[str, list[str]] = {}
    leader_ids, participant_ids = set(leader_ids), set(participant_ids)
    if leader_ids:
        staff = {user.id for user in staff_of_tenant(session, leader_ids)}
        if leader_ids - staff:
            errors["leader_ids"] = [f"Not staff of this organisation: {sorted(leader_ids - staff)}."]
    if participant_ids:
        known = set(session.scalars(select(Person.id).where(Person.id.in_(participant_ids))))
        if participant_ids - known:
            errors["participant_ids"] = [f"No such person here: {sorted(participant_ids - known)}."]
    return errors


def create_session(session: Session, data: dict[str, Any], *, leader_ids: Iterable[int] = (),
                   participant_ids: Iterable[int] = ()) -> ScheduledSession:
    """Plan a session in the current tenant with its leaders (staff users) and participants."""
    leader_ids, participant_ids = list(dict.fromkeys(leader_ids)), list(dict.fromkeys(participant_ids))
    scheduled = ScheduledSession(**data)
    errors = _check_people(session, leader_ids, participant_ids)
    if as_utc(scheduled.ends_at) <= as_utc(scheduled.starts_at):
        errors["ends_at"] = ["The session must end after it starts."]
    if errors:
        raise SessionError(errors)
    scheduled.leaders = [SessionLeader(user_id=i) for i in leader_ids]
    scheduled.attendance = [Attendance(person_id=i) for i in participant_ids]
    session.add(scheduled)
    session.flush()
    return scheduled


def update_session(session: Session, scheduled: ScheduledSession, data: dict[str, Any]) -> ScheduledSession:
    for key, value in data.items():
        setattr(scheduled, key, value)
    if as_utc(scheduled.ends_at) <= as_utc(scheduled.starts_at):
        raise SessionError({"ends_at": ["The session must end after it starts."]})
    session.flush()
    return scheduled


def list_sessions(plugin: str | None = None, starts_from: datetime | None = None, starts_before: datetime | None = None):
    """A SELECT of the current tenant's sessions in time order, with leaders loaded."""
    stmt = select(ScheduledSession).options(selectinload(ScheduledSession.leaders).selectinload(SessionLeader.user))
    if plugin:
        stmt = stmt.where(ScheduledSession.plugin == plugin)
    if starts_from:
        stmt = stmt.where(ScheduledSession.starts_at >= starts_from)
    if starts_before:
        stmt = stmt.where(ScheduledSession.starts_at < starts_before)
    return stmt.order_by(ScheduledSession.starts_at, ScheduledSession.id)


def _session_loads() -> tuple:
    return (selectinload(ScheduledSession.leaders).selectinload(SessionLeader.user),
            selectinload(ScheduledSession.attendance).selectinload(Attendance.person))


def get_session(session: Session, session_id: int) -> ScheduledSession | None:
    """A session with its leaders and its attendance (and the people), in three queries."""
    return session.scalar(select(ScheduledSession).where(ScheduledSession.id == session_id)
                          .options(*_session_loads()))


def session_or_404(session: Session, session_id: int) -> ScheduledSession:
    """As :func:`get_session`, or :class:`NotFound`."""
    return get_or_404(session, ScheduledSession, session_id, *_session_loads(), what="session")


def record_attendance(session: Session, scheduled: ScheduledSession,
                      statuses: dict[int, AttendanceStatus | str | None], *,
                      now: datetime | None = None) -> list[Attendance]:
    """Set each listed participant's status (None clears it); unknown participants are an
    error, and so is "present" or "absent" before the session has started (only "cancelled"
    and "absent with notice" can be known in advance)."""
    rows = {a.person_id: a for a in scheduled.attendance}
    unknown = set(statuses) - set(rows)
    if unknown:
        raise SessionError({"attendance": [f"Not participants of this session: {sorted(unknown)}."]})
    now = as_utc(now or utcnow())
    wanted = {person_id: AttendanceStatus(status) if status else None for person_id, status in statuses.items()}
    if not has_started(scheduled, now) and any(s is not None and s not in IN_ADVANCE for s in wanted.values()):
        raise SessionError({"attendance": [_(
            "The session has not started yet. Before it starts, only “cancelled” or “absent with notice” "
            "can be recorded.")]}, not_started=True)
    for person_id, status in wanted.items():
        row = rows[person_id]
        row.status = status
        row.recorded_at = now if status else None
    session.flush()
    return list(rows.values())


def has_started(scheduled: ScheduledSession, now: datetime | None = None) -> bool:
    """Whether ``scheduled`` has begun at ``now`` (default: this moment)."""
    return as_utc(scheduled.starts_at) <= as_utc(now or utcnow())


def statuses_open(scheduled: ScheduledSession, now: datetime | None = None) -> list[AttendanceStatus]:
    """The statuses that can be recorded for ``scheduled`` now: all once it has started."""
    return list(AttendanceStatus) if has_started(scheduled, now) else [s for s in AttendanceStatus if s in IN_ADVANCE]


def create_feed(session: Session, *, label: str, plugin: str | None = None,
                enabled: Iterable[str] | None = None) -> tuple[CalendarFeed, str]:
    """A new feed and its token; the token is returned once and only its hash is kept.
    ``plugin`` (None: all programmes) must be one of ``enabled``, the tenant's plugins."""
    plugin = plugin or None
    if plugin is not None and enabled is not None and plugin not in set(enabled):
        raise SessionError({"plugin": [_("Choose one of this organisation's programmes, or all.")]})
    token, token_hash = new_token()
    feed = CalendarFeed(token_hash=token_hash, plugin=plugin, label=label.strip() or "Calendar")
    session.add(feed)
    session.flush()
    return feed, token


def titles(hooks: Any, session: Session, sessions: Iterable[ScheduledSession], language: str) -> dict[int, str]:
    """Each session's title in ``language``: its plugin's wording (``samverka_session_titles``,
    asked once for all of them), else the title as stored."""
    sessions = list(sessions)
    found = {s.id: s.title for s in sessions}
    if sessions:
        for answer in hooks.samverka_session_titles(session=session, sessions=sessions, language=language):
            found.update({sid: title for sid, title in (answer or {}).items() if sid in found and title})
    return found


def revoke_feed(session: Session, feed: CalendarFeed) -> None:
    feed.revoked_at = feed.revoked_at or utcnow()
    session.flush()


def feed_for_token(session: Session, token: str) -> CalendarFeed | None:
    """The live feed behind ``token`` in the current tenant, or None (revoked or unknown)."""
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == digest(token)))
    return feed if feed is not None and feed.revoked_at is None else None


def feed_calendar(session: Session, feed: CalendarFeed, tenant: Tenant, host: str, hooks: Any) -> bytes:
    """The feed as iCalendar: times (in UTC, marked ``Z``), titles (in the tenant's first
    language) and places only, never participants' names."""
    calendar = Calendar()
    calendar.add("prodid", "-//Samverka//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{tenant.name}: {feed.label}")
    calendar.add("x-wr-timezone", tenant.timezone)
    stmt = list_sessions(feed.plugin, starts_from=utcnow() - FEED_HISTORY).limit(2000)
    scheduled_sessions = list(session.scalars(stmt))
    names = titles(hooks, session, scheduled_sessions, tenant.default_language)
    for scheduled in scheduled_sessions:
        event = Event()
        event.add("uid", f"session-{scheduled.id}@{host}")
        event.add("dtstamp", as_utc(scheduled.created_at))
        event.add("dtstart", as_utc(scheduled.starts_at))
        event.add("dtend", as_utc(scheduled.ends_at))
        event.add("summary", names[scheduled.id])
        if scheduled.location:
            event.add("location", scheduled.location)
        event.add("status", "CANCELLED" if scheduled.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
