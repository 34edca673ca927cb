"""Person matching for duplicates: the same national ID (blind index), or the same name with the same contact or birth year."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session

from core.db import current_tenant_id
from core.people.models import Person
from core.people.national_id import NationalId, NationalIdError, parse
from core.people.vault import Vault

#: Why a registered person may be the one described, most certain first: the same national
#: ID; the same name and the same email address or phone number (any way they are reached);
#: the same name and the same birth year.
NATIONAL_ID, NAME_CONTACT, NAME_BIRTH_YEAR = "national_id", "name+contact", "name+birth_year"
MATCH_REASONS = (NATIONAL_ID, NAME_CONTACT, NAME_BIRTH_YEAR)

#: At most this many people are looked at for one person described (namesakes are many).
MAX_MATCHES = 20


def index_scope(tenant_id: int, country: str) -> str:
    """The blind index's scope of a national ID: one tenant, one country."""
    return f"{tenant_id}:{country}"


def national_id_index(vault: Vault, national_id: NationalId, *, tenant_id: int | None = None) -> str:
    """The blind index of a parsed national ID as stored for the tenant (default: the current one)."""
    return vault.blind_index(national_id.value, scope=index_scope(tenant_id or current_tenant_id(), national_id.country))


def parse_candidate_national_id(data: Mapping[str, Any], country: str) -> NationalId | None:
    """``data["national_id"]`` parsed for ``data["national_id_country"]`` (or else ``country``);
    None when there is none or it is not valid: looking for a match is not validating."""
    raw = data.get("national_id")
    if not raw:
        return None
    try:
        return parse(data.get("national_id_country") or country, raw)
    except NationalIdError:
        return None


def phone_digits(phone: str | None) -> str:
    """The digits of a phone number without leading zeros, as numbers are compared."""
    return re.sub(r"\D", "", phone or "").lstrip("0")


def phones_match(a: str, b: str) -> bool:
    """The same number written with or without the country code or a leading zero."""
    if len(a) < 6 or len(b) < 6:
        return a == b and bool(a)
    return a.endswith(b) or b.endswith(a)


@dataclass(frozen=True)
class MatchProfile:
    """What is compared of a registered person, or of one described but not registered:
    names as written (stripped), birth year, the national ID's blind index, and every email
    address (lower case) and phone number (:func:`phone_digits`) they are reached through."""

    first_name: str
    last_name: str
    birth_year: int | None = None
    national_id_index: str | None = None
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()

    @classmethod
    def of(cls, person: Any, *, emails: Iterable[str | None] = (), phones: Iterable[str | None] = ()) -> MatchProfile:
        """A registered person (a :class:`Person`); ``emails`` and ``phones`` add the other
        ways they are reached (a contact person's, say)."""
        return cls._make(lambda name: getattr(person, name, None), person.national_id_index, emails, phones)

    @classmethod
    def of_candidate(cls, vault: Vault, data: Mapping[str, Any], *, national_id: NationalId | None = None,
                     emails: Iterable[str | None] = (), phones: Iterable[str | None] = ()) -> MatchProfile:
        """Someone described by ``data`` (``first_name``, ``last_name``, ``birth_date`` or
        ``birth_year``, ``email``, ``phone``), with their ``national_id`` already parsed (the raw
        ``data["national_id"]`` is never read: parse it once, e.g. :func:`parse_candidate_national_id`)."""
        index = national_id_index(vault, national_id) if national_id is not None else None
        return cls._make(data.get, index, emails, phones)

    @classmethod
    def _make(cls, get, index: str | None, emails: Iterable[str | None], phones: Iterable[str | None]) -> MatchProfile:
        birth_date = get("birth_date")
        all_emails = {(e or "").strip().lower() for e in (get("email"), *emails)}
        all_phones = {phone_digits(p) for p in (get("phone"), *phones)}
        return cls(
            first_name=(get("first_name") or "").strip(), last_name=(get("last_name") or "").strip(),
            birth_year=birth_date.year if birth_date else get("birth_year"), national_id_index=index,
            emails=frozenset(e for e in all_emails if e), phones=frozenset(p for p in all_phones if p),
        )

    def reasons_against(self, other: MatchProfile) -> tuple[str, ...]:
        """Why ``other`` may be the same person (:data:`MATCH_REASONS`, in that order); () when nothing fits."""
        reasons = []
        if self.national_id_index and self.national_id_index == other.national_id_index:
            reasons.append(NATIONAL_ID)
        first, last = self.first_name.lower(), self.last_name.lower()
        if first and first == other.first_name.lower() and last == other.last_name.lower():
            if self.emails & other.emails or any(phones_match(a, b) for a in self.phones for b in other.phones):
                reasons.append(NAME_CONTACT)
            if self.birth_year and self.birth_year == other.birth_year:
                reasons.append(NAME_BIRTH_YEAR)
        return tuple(reasons)


@dataclass(frozen=True)
class Match:
    """A registered person who may be the one described, and why (:data:`MATCH_REASONS`)."""

    person: Person
    reasons: tuple[str, ...]


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def match_candidates(session: Session, targets: Iterable[MatchProfile], *, exclude_id: int | None = None,
                     limit: int | None = MAX_MATCHES) -> list[Person]:
    """In one query, the current tenant's people (not anonymised) with the name of one of
    ``targets`` (case-insensitive) or the blind index of its national ID: those the rules of
    :meth:`MatchProfile.reasons_against` may fit. At most ``limit``, the same national ID
    first; ``limit=None`` for all (many targets at once, such as a page of a list)."""
    targets = list(targets)
    names = {(t.first_name, t.last_name) for t in targets if t.first_name and t.last_name}
    indexes = sorted({t.national_id_index for t in targets if t.national_id_index})
    conditions = [and_(Person.first_name.ilike(_like(f), escape="\\"), Person.last_name.ilike(_like(l), escape="\\"))
                  for f, l in sorted(names)]
    if indexes:
        conditions.append(Person.national_id_index.in_(indexes))
    if not conditions:
        return []
    stmt = select(Person).where(or_(*conditions), Person.anonymised_at.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(Person.id != exclude_id)
    if limit is not None:
        first = case((Person.national_id_index.in_(indexes), 0), else_=1) if indexes else None
        stmt = stmt.order_by(*(c for c in (first, Person.id) if c is not None)).limit(limit)
    return list(session.scalars(stmt))


def find_matches(session: Session, target: MatchProfile, *, exclude_id: int | None = None,
                 limit: int = MAX_MATCHES) -> list[Match]:
    """People of the current tenant who may be ``target``, each with its reasons, by name;
    compared as registered (a caller that knows more ways they are reached, such as the
    contacts of a plugin's records, builds the profiles itself from :func:`match_candidates`).
    Shown to staff, who decide; nothing is merged here."""
    found = []
    for person in match_candidates(session, [target], exclude_id=exclude_id, limit=limit):
        reasons = target.reasons_against(MatchProfile.of(person))
        if reasons:
            found.append(Match(person, reasons))
    return sorted(found, key=lambda m: (m.person.last_name.lower(), m.person.first_name.lower(), m.person.id))
