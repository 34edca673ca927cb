"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JSONDocument, utcnow


class AuditEvent(Base):
    """Who did what to which object, when and from where; never the personal data itself.

    Not TenantOwned: events before any tenant is chosen (sign-in, failed sign-in) have no
    tenant. Row-level security still applies (core.migrations.rls): a tenant reads its own
    events, and the application role may insert but never update or delete.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_tenant_id_occurred_at", "tenant_id", "occurred_at"),
        # No RETURNING: the application writes events it may not read back (see services.record).
        {"implicit_returning": False},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="RESTRICT"))
    #: The signed-in user; for sign-in events the account concerned (also when it failed).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    #: Who acted when no user did: "api:<client id>", "system", "public".
    actor: Mapped[str | None] = mapped_column(String(100))
    #: A dotted verb: person.read, person.update, login.failed, role.grant, person.erase ...
    action: Mapped[str] = mapped_column(String(63), index=True)
    object_type: Mapped[str | None] = mapped_column(String(63))
    object_id: Mapped[str | None] = mapped_column(String(63))
    client_address: Mapped[str | None] = mapped_column(String(45))
    #: Field names, counts and reasons; never values of personal data.
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
