"""The partner programme's one table: notes the staff keep about a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.toolkit import Base, Person, TenantOwned, UtcDateTime, Versioned, utcnow


class PartnerNote(Versioned, TenantOwned, Base):
    """A note about a person in the programme. TenantOwned: only the tenant that wrote it sees it."""

    __tablename__ = "partner_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    person: Mapped[Person] = relationship()
