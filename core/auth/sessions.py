"""Server-side sign-in sessions: a random token in the cookie, idle and absolute timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.auth.models import User, UserSession
from core.db import as_utc, utcnow
from core.tokens import digest, new_token

#: How stale last_seen_at may get before a request refreshes it (saves a write per request).
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta


def start(session: Session, user: User, *, fully_authenticated: bool = True,
          client_address: str | None = None, user_agent: str | None = None) -> str:
    """Open a session for ``user`` and return the token for the cookie (shown once)."""
    token, token_hash = new_token()
    session.add(UserSession(token_hash=token_hash, user_id=user.id, fully_authenticated=fully_authenticated,
                            client_address=client_address, user_agent=(user_agent or "")[:200] or None))
    session.flush()
    return token


def resume(session: Session, token: str | None, timeouts: Timeouts, now: datetime | None = None) -> UserSession | None:
    """The live session behind ``token``, or None; a timed-out session is ended on the way.

    A refreshed or ended session is left dirty for the caller to commit.
    """
    if not token:
        return None
    now = now or utcnow()
    row = session.scalar(select(UserSession).where(UserSession.token_hash == digest(token), UserSession.ended_at.is_(None)))
    if row is None or not row.user.is_active:
        return None
    if now - as_utc(row.last_seen_at) > timeouts.idle or now - as_utc(row.created_at) > timeouts.absolute:
        row.ended_at = now
        return None
    if now - as_utc(row.last_seen_at) > TOUCH_INTERVAL:
        row.last_seen_at = now
    return row


def complete(session: Session, row: UserSession) -> None:
    """The second factor is done: the session may now do everything its roles allow."""
    row.fully_authenticated = True
    session.flush()


def end(session: Session, token: str | None) -> None:
    if token:
        session.execute(update(UserSession).where(UserSession.token_hash == digest(token), UserSession.ended_at.is_(None))
                        .values(ended_at=utcnow()))


def end_all(session: Session, user: User) -> int:
    """End every session of ``user`` (disabled, password changed); returns how many."""
    result = session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                             .values(ended_at=utcnow()))
    return result.rowcount
