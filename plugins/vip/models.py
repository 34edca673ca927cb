"""The VIP plugin's records: applications, the waitlist, offers, groups, outreach, training.

Every table but the national register of trained leaders belongs to one tenant and is
scoped by core like any other. Participants are core people; meetings are core sessions.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.toolkit import Base, OfferMixin, TenantOwned, Versioned, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, native_enum=False, length=30, create_constraint=True, name=name)


class Channel(str, enum.Enum):
    """How an application arrived."""

    web = "web"
    paper = "paper"


class ContactVia(str, enum.Enum):
    """Who the programme contacts about an application."""

    self = "self"
    contact_person = "contact_person"
    guardian = "guardian"
    legal_representative = "legal_representative"


class ApplicationStatus(str, enum.Enum):
    waiting = "waiting"  # on the waitlist of its audience
    offered = "offered"  # an open offer of a place waits for an answer
    placed = "placed"  # has a place in a group
    withdrawn = "withdrawn"  # the applicant (or staff on their word) took it back
    closed = "closed"  # ended without a place (declined, duplicate merged, consent withdrawn)


#: Statuses of applications still in line for a place.
IN_LINE = (ApplicationStatus.waiting, ApplicationStatus.offered)


class Application(Versioned, TenantOwned, Base):
    """One person's application for a place in a group of one audience."""

    __tablename__ = "vip_application"
    __table_args__ = (Index("ix_vip_application_tenant_id_audience_status", "tenant_id", "audience", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(30))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "vip_channel"))
    #: Has taken the VIP course before; first-timers come first in line.
    taken_before: Mapped[bool] = mapped_column(default=False)
    contact_via: Mapped[ContactVia] = mapped_column(_enum(ContactVia, "vip_contact_via"))
    #: The contact person, guardian or legal representative, when contact is not the applicant.
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    #: What the applicant needs to take part: accessibility, support, in their own words.
    needs: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[ApplicationStatus] = mapped_column(
        _enum(ApplicationStatus, "vip_application_status"), default=ApplicationStatus.waiting)
    #: Place in the waitlist: smaller comes first. Set from (first-timer, date) on arrival;
    #: a manual move sets it between the new neighbours (see services/waitlist.py).
    queue_rank: Mapped[float] = mapped_column(Float)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("vip_group.id", ondelete="SET NULL"), index=True)
    placed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: Why it ended without a place, in a word (declined, expired, merged, consent_withdrawn, ...).
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    #: The person record was made for this application (so retention may erase it with it).
    created_person: Mapped[bool] = mapped_column(default=False)
    #: SHA-256 of the token in the acknowledgement's withdrawal link; cleared when the link is
    #: used or the application ends, so a link works once and only while there is something to withdraw.
    withdraw_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person = relationship("Person")
    group: Mapped[Group | None] = relationship(back_populates="applications")
    offers: Mapped[list[Offer]] = relationship(back_populates="application", cascade="all, delete-orphan",
                                               order_by="Offer.offered_at")
    moves: Mapped[list[WaitlistMove]] = relationship(back_populates="application", cascade="all, delete-orphan",
                                                     order_by="WaitlistMove.moved_at")


class WaitlistMove(Versioned, TenantOwned, Base):
    """A manual reorder of the waitlist: who moved whom, from where to where, and why."""

    __tablename__ = "vip_waitlist_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("vip_application.id", ondelete="CASCADE"), index=True)
    from_position: Mapped[int]
    to_position: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    moved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="moves")


class Offer(Versioned, OfferMixin, TenantOwned, Base):
    """A place in a group offered to an applicant, open until it is answered or expires.

    Deadline, answer link and answer are core's offer columns (``OfferMixin``, whose
    ``OfferStatus`` withdrawn means staff took it back: the group was cancelled, a mistake);
    the link's token digest is also cleared when the application is withdrawn."""

    __tablename__ = "vip_offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("vip_application.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("vip_group.id", ondelete="CASCADE"), index=True)

    application: Mapped[Application] = relationship(back_populates="offers")
    group: Mapped[Group] = relationship()


class GroupStatus(str, enum.Enum):
    planned = "planned"
    running = "running"
    finished = "finished"
    cancelled = "cancelled"


class Group(Versioned, TenantOwned, Base):
    """A VIP group of one audience: its leaders, its participants and its meetings."""

    __tablename__ = "vip_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    audience: Mapped[str] = mapped_column(String(30))
    #: Places in the group, from the setting when the group was formed.
    capacity: Mapped[int]
    #: The room the group meets in; a room is never booked twice at once.
    location: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[GroupStatus] = mapped_column(_enum(GroupStatus, "vip_group_status"), default=GroupStatus.planned)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    leaders: Mapped[list[GroupLeader]] = relationship(back_populates="group", cascade="all, delete-orphan")
    meetings: Mapped[list[Meeting]] = relationship(back_populates="group", cascade="all, delete-orphan",
                                                   order_by="Meeting.number")
    applications: Mapped[list[Application]] = relationship(back_populates="group")


class GroupLeader(TenantOwned, Base):
    __tablename__ = "vip_group_leader"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("vip_group.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)

    group: Mapped[Group] = relationship(back_populates="leaders")
    user = relationship("User")


class Meeting(Versioned, TenantOwned, Base):
    """Meeting ``number`` of a group's course: a core session, with its curriculum theme."""

    __tablename__ = "vip_meeting"
    __table_args__ = (UniqueConstraint("group_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("vip_group.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("scheduled_session.id", ondelete="CASCADE"), unique=True)
    number: Mapped[int]
    #: The theme from the tenant's curriculum when the meetings were generated.
    theme: Mapped[str] = mapped_column(String(200))

    group: Mapped[Group] = relationship(back_populates="meetings")
    session = relationship("ScheduledSession")


class Outreach(Versioned, TenantOwned, Base):
    """A user of the municipality's disability services, and when they were informed about
    the course and offered it (the goal: everyone offered at least once)."""

    __tablename__ = "vip_outreach"
    __table_args__ = (UniqueConstraint("tenant_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    #: The service the person uses (a daily activity, a group home), as staff name it.
    service: Mapped[str | None] = mapped_column(String(200))
    informed_on: Mapped[date | None] = mapped_column(Date)
    offered_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))

    person = relationship("Person")


class LeaderCourse(Versioned, TenantOwned, Base):
    """A course training new VIP group leaders, run by the training tenant."""

    __tablename__ = "vip_leader_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trainees: Mapped[list[Trainee]] = relationship(back_populates="course", cascade="all, delete-orphan",
                                                   order_by="Trainee.name")


class Trainee(Versioned, TenantOwned, Base):
    """Someone on a leader course, from any municipality. Kept by the training tenant only."""

    __tablename__ = "vip_trainee"
    __table_args__ = (UniqueConstraint("course_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("vip_leader_course.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Lower-case; how the register finds the trainee's staff account in their municipality.
    email: Mapped[str] = mapped_column(String(254))
    #: The organisation the trainee works for, as they gave it.
    organisation: Mapped[str] = mapped_column(String(200))
    #: The municipality (or region) the trainee leads groups in: the register page groups by it.
    municipality: Mapped[str | None] = mapped_column(String(100))
    completed_on: Mapped[date | None] = mapped_column(Date)

    course: Mapped[LeaderCourse] = relationship(back_populates="trainees")


class TrainedLeader(Base):
    """The national register of trained VIP group leaders: one row per trained person, and
    nothing but a digest of their work email and the date. Not owned by a tenant: every
    tenant running VIP looks up its own staff here (yes or no, and since when)."""

    __tablename__ = "vip_trained_leader"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the lower-cased email: staff are matched without the register holding addresses.
    email_digest: Mapped[str] = mapped_column(String(64), unique=True)
    trained_on: Mapped[date] = mapped_column(Date)
    #: The training record its date came from (in a training tenant), so a correction there follows.
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("vip_trainee.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sources: Mapped[list[TrainedLeaderSource]] = relationship(
        back_populates="leader", cascade="all, delete-orphan", order_by="TrainedLeaderSource.trained_on")


class TrainedLeaderSource(Base):
    """What one training tenant (or, with none, a record from before the platform) says about
    a register entry: its earliest completion for that email. The entry's date is the
    earliest of its sources, so one training tenant undoing its completion leaves the others'.
    Global like the register, and as bare: a tenant id, a date, the training record's id."""

    __tablename__ = "vip_trained_leader_source"
    __table_args__ = (UniqueConstraint("leader_id", "training_tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("vip_trained_leader.id", ondelete="CASCADE"), index=True)
    #: The tenant that trained the leader; None for an entry made outside any training tenant.
    #: Not called ``tenant_id``: the row is not the tenant's (no row-level security hides it).
    training_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("vip_trainee.id", ondelete="SET NULL"))
    trained_on: Mapped[date] = mapped_column(Date)

    leader: Mapped[TrainedLeader] = relationship(back_populates="sources")
