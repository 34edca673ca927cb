"""Scheduled sessions of any programme, their leaders and attendance, and calendar feeds."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TenantOwned, Versioned, utcnow


class ScheduledSession(Versioned, TenantOwned, Base):
    """One meeting of a programme: a VIP group meeting, a peer café, a VIDA occasion."""

    __tablename__ = "scheduled_session"
    __table_args__ = (Index("ix_scheduled_session_tenant_id_starts_at", "tenant_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The programme's plugin key; "core" for sessions no plugin owns.
    plugin: Mapped[str] = mapped_column(String(63))
    #: The plugin's own word for it (group_meeting, cafe, training, supervision, ...).
    kind: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(300))
    #: What the plugin's own record is (e.g. a VIP group id), so it can find its sessions.
    reference: Mapped[str | None] = mapped_column(String(100), index=True)
    cancelled: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    leaders: Mapped[list[SessionLeader]] = relationship(cascade="all, delete-orphan", back_populates="session")
    attendance: Mapped[list[Attendance]] = relationship(cascade="all, delete-orphan", back_populates="session")


class SessionLeader(TenantOwned, Base):
    __tablename__ = "session_leader"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("scheduled_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)

    session: Mapped[ScheduledSession] = relationship(back_populates="leaders")
    user = relationship("User")


class AttendanceStatus(str, enum.Enum):
    present = "present"
    absent_with_notice = "absent_with_notice"
    absent = "absent"
    cancelled = "cancelled"


class Attendance(Versioned, TenantOwned, Base):
    """A participant expected at a session, and (once recorded) whether they came."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("scheduled_session.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    #: None until someone records it.
    status: Mapped[AttendanceStatus | None] = mapped_column(
        Enum(AttendanceStatus, native_enum=False, length=30, create_constraint=True, name="attendance_status")
    )
    recorded_at: Mapped[datetime | None]

    session: Mapped[ScheduledSession] = relationship(back_populates="attendance")
    person = relationship("Person")


class CalendarFeed(Versioned, TenantOwned, Base):
    """An iCalendar subscription behind an unguessable token; only its hash is stored."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token: a leaked database does not leak working feed URLs.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: One programme's sessions, or None for all of the tenant's.
    plugin: Mapped[str | None] = mapped_column(String(63))
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
