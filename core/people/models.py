"""People owned by a tenant (participants, volunteers, contacts) and their consents."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TenantOwned, Versioned, utcnow


class Person(Versioned, TenantOwned, Base):
    __tablename__ = "person"
    __table_args__ = (Index("ix_person_tenant_id_last_name_first_name", "tenant_id", "last_name", "first_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    #: Kept when only the year is known (or all that is needed: data minimisation).
    birth_year: Mapped[int | None]
    #: As the person describes it, in their words; never a fixed list.
    gender: Mapped[str | None] = mapped_column(String(50))
    preferred_language: Mapped[str | None] = mapped_column(String(35))
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    #: The language the interpreter should speak, when one is needed.
    interpreter_language: Mapped[str | None] = mapped_column(String(35))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    #: Protected identity (skyddad identitet, navne- og adressebeskyttelse, turvakielto):
    #: address and contact details are shown only to holders of core.people.protected.
    protected_identity: Mapped[bool] = mapped_column(default=False)
    national_id_country: Mapped[str | None] = mapped_column(String(2))
    #: AES-GCM token from core.people.vault, bound to the tenant; never decrypted for lists.
    national_id_encrypted: Mapped[str | None] = mapped_column(String(255))
    #: HMAC blind index (per tenant and country) for finding duplicates by equality.
    national_id_index: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Only the last four characters, for showing which number is on file.
    national_id_masked: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the record was anonymised on request or by retention; names are then blank.
    anonymised_at: Mapped[datetime | None]
    #: After this date the retention job anonymises the person (set by plugins and staff).
    retain_until: Mapped[date | None] = mapped_column(Date)
    #: Why the record must be kept whatever is asked (a court order, an ongoing case).
    legal_hold_reason: Mapped[str | None] = mapped_column(String(300))

    consents: Mapped[list[Consent]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Consent.given_on"
    )

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentGiver(str, enum.Enum):
    self = "self"
    guardian = "guardian"
    legal_representative = "legal_representative"


class Consent(Versioned, TenantOwned, Base):
    """Consent to one purpose, given by the person or on their behalf; withdrawn by date."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    #: What the data may be used for, in words the person was shown.
    purpose: Mapped[str] = mapped_column(String(300))
    #: The programme the consent belongs to (a plugin key), or None for core processing.
    plugin: Mapped[str | None] = mapped_column(String(63))
    given_by: Mapped[ConsentGiver] = mapped_column(
        Enum(ConsentGiver, native_enum=False, length=30, create_constraint=True, name="consent_giver")
    )
    given_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="consents")

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None
