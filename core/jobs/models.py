"""The notification outbox and the record of when each due-job last ran for a tenant."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, TenantOwned, utcnow

EMAIL = "email"


class OutboxStatus(str, enum.Enum):
    pending = "pending"
    sent = "sent"
    #: Given up after the last allowed attempt; the row is kept for the operator to see.
    failed = "failed"


class OutboxMessage(TenantOwned, Base):
    """A notification waiting to leave, or already gone; never deleted by a failed send."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_outbox_message_due", "tenant_id", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: How the message leaves: "email" now; a string, not an enum, so "sms" needs no migration.
    channel: Mapped[str] = mapped_column(String(16), default=EMAIL)
    #: An email address (or, for SMS, a phone number).
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255), default="")
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=10, create_constraint=True, name="outbox_status"),
        default=OutboxStatus.pending,
    )
    #: Delivery attempts so far, the successful one included.
    attempts: Mapped[int] = mapped_column(default=0)
    #: When a retry may go out; a message never tried goes out on the next delivery.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Why the last attempt failed: error class and SMTP code only, never the server's text
    #: (which may quote the recipient).
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    #: Chosen by the caller (e.g. "reminder:session-42:2026-05-01"); a second enqueue with the
    #: same key in the tenant returns the first message instead of adding another.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))


class JobRun(TenantOwned, Base):
    """When a due-job last completed for one tenant, so its ``every`` interval is respected."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("tenant_id", "job"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "<plugin>.<job key>", as in the app's due-job registry.
    job: Mapped[str] = mapped_column(String(127))
    #: The ``now`` the job last ran at (not the wall clock), so a re-run at the same ``now``
    #: is recognised and skipped.
    last_run_at: Mapped[datetime] = mapped_column()
    #: What the job's ``run`` returned last time (how much it did).
    last_result: Mapped[int] = mapped_column(default=0)
