"""The first answer to each idempotency key, per tenant and client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, TenantOwned, utcnow


class IdempotencyKey(TenantOwned, Base):
    """A key a client sent with a creating request, and the answer it got the first time."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client", "key"),
        Index("ix_idempotency_key_created", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who sent it: "api:<client_id>" for a bearer token, "user:<id>" for a signed-in user.
    client: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of method, path and body, so the key sent with another request is recognised.
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: The first answer's status; None while the first request is still at work.
    status: Mapped[int | None] = mapped_column()
    body: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
