"""Possible duplicates of a VIP applicant among the people already registered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.people import services as people
from core.people.models import Person
from core.people.vault import Vault
from core.web.strings import N_
from plugins.vip.models import Application
from plugins.vip.services.applications.common import _tenant

@dataclass(frozen=True)
class PossibleDuplicate:
    """Someone already registered who may be the applicant, why, and their VIP applications."""

    person: Person
    reasons: tuple[str, ...]
    applications: tuple[Application, ...] = ()


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "").lstrip("0")


def _phones_match(a: str, b: str) -> bool:
    """The same number written with or without the country code or a leading zero."""
    if len(a) < 6 or len(b) < 6:
        return a == b and bool(a)
    return a.endswith(b) or b.endswith(a)


@dataclass
class _Side:
    """What is compared of an applicant or a registered person."""

    first_name: str
    last_name: str
    birth_year: int | None
    national_id_index: str | None
    emails: set[str]
    phones: set[str]

    @classmethod
    def of(cls, person_like: Any, applications: Iterable[Any] = ()) -> _Side:
        birth_date = getattr(person_like, "birth_date", None)
        emails = {(getattr(person_like, "email", None) or "").strip().lower()}
        phones = {_digits(getattr(person_like, "phone", None))}
        for app in applications:
            emails.add((app.contact_email or "").strip().lower())
            phones.add(_digits(app.contact_phone))
        return cls(
            first_name=(person_like.first_name or "").strip().lower(),
            last_name=(person_like.last_name or "").strip().lower(),
            birth_year=birth_date.year if birth_date else getattr(person_like, "birth_year", None),
            national_id_index=getattr(person_like, "national_id_index", None),
            emails={e for e in emails if e}, phones={p for p in phones if p},
        )

    def reasons_against(self, other: _Side) -> tuple[str, ...]:
        reasons = []
        if self.national_id_index and self.national_id_index == other.national_id_index:
            reasons.append("national_id")
        if self.first_name and self.first_name == other.first_name and self.last_name == other.last_name:
            if self.emails & other.emails or any(_phones_match(a, b) for a in self.phones for b in other.phones):
                reasons.append("name+contact")
            if self.birth_year and self.birth_year == other.birth_year:
                reasons.append("name+birth_year")
        return tuple(reasons)


#: Reasons shown to staff, in words.
REASON_LABELS = {
    "national_id": N_("The same national identity number"),
    "name+contact": N_("The same name and the same phone number or email address"),
    "name+birth_year": N_("The same name and the same birth year"),
}


def _applications_of(session: Session, person_ids: Iterable[int]) -> dict[int, list[Application]]:
    ids = sorted(set(person_ids))
    found: dict[int, list[Application]] = {pid: [] for pid in ids}
    if ids:
        for app in session.scalars(select(Application).where(Application.person_id.in_(ids))
                                   .order_by(Application.applied_at, Application.id)):
            found[app.person_id].append(app)
    return found


def possible_duplicates(session: Session, vault: Vault, application_or_candidate: Application | dict[str, Any], *,
                        country: str | None = None) -> list[PossibleDuplicate]:
    """People of the current tenant who may be the applicant: the same national ID (through
    the blind index), or the same name with the same phone or email (the applicant's own or
    their contact's) or birth year. Shown to staff, who decide; nothing is merged here.

    ``application_or_candidate`` is a saved application or validated form data not yet saved.
    """
    country = country or _tenant(session).country
    if isinstance(application_or_candidate, Application):
        application = application_or_candidate
        person = application.person
        own = _applications_of(session, [person.id])[person.id]
        target = _Side.of(person, own)
        found = {d.person.id: d.person for d in people.find_duplicates(
            session, vault, {"first_name": person.first_name, "last_name": person.last_name},
            country=country, exclude_id=person.id)}
        if person.national_id_index:
            for other in session.scalars(select(Person).where(
                    Person.national_id_index == person.national_id_index, Person.id != person.id,
                    Person.anonymised_at.is_(None))):
                found[other.id] = other
        national_id_matches: set[int] = set()
    else:
        candidate = dict(application_or_candidate)
        contact = _ContactOnly(candidate.get("contact_phone"), candidate.get("contact_email"))
        target = _Side.of(_PersonLike(candidate), [contact])
        core_found = people.find_duplicates(session, vault, {
            k: candidate.get(k) for k in ("first_name", "last_name", "email", "phone", "national_id",
                                          "national_id_country")}, country=country)
        found = {d.person.id: d.person for d in core_found}
        national_id_matches = {d.person.id for d in core_found if "national_id" in d.reasons}
    apps = _applications_of(session, found)
    result = []
    for pid, other in found.items():
        reasons = list(target.reasons_against(_Side.of(other, apps[pid])))
        if pid in national_id_matches and "national_id" not in reasons:
            reasons.insert(0, "national_id")
        if reasons:
            result.append(PossibleDuplicate(other, tuple(reasons), tuple(apps[pid])))
    return sorted(result, key=lambda d: (d.person.last_name.lower(), d.person.first_name.lower(), d.person.id))


@dataclass
class _PersonLike:
    data: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        if name == "national_id_index":
            return None
        return self.data.get(name)


@dataclass
class _ContactOnly:
    contact_phone: str | None
    contact_email: str | None


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def duplicate_flags(session: Session, applications: Iterable[Application]) -> set[int]:
    """Ids of ``applications`` whose applicant may be registered twice (the rules of
    :func:`possible_duplicates`), in two queries whatever the number of applications."""
    applications = list(applications)
    people_by_id = {a.person.id: a.person for a in applications}
    names = {((p.first_name or "").strip(), (p.last_name or "").strip()) for p in people_by_id.values()}
    names = {n for n in names if n[0] and n[1]}
    indexes = {p.national_id_index for p in people_by_id.values() if p.national_id_index}
    conditions = [and_(Person.first_name.ilike(_like(f), escape="\\"), Person.last_name.ilike(_like(l), escape="\\"))
                  for f, l in sorted(names)]
    if indexes:
        conditions.append(Person.national_id_index.in_(sorted(indexes)))
    if not conditions:
        return set()
    others = list(session.scalars(select(Person).where(or_(*conditions), Person.anonymised_at.is_(None))))
    apps = _applications_of(session, [*people_by_id, *(p.id for p in others)])
    sides = {p.id: _Side.of(p, apps.get(p.id, ())) for p in [*people_by_id.values(), *others]}
    flagged = set()
    for application in applications:
        own = sides[application.person.id]
        if any(other.id != application.person.id and own.reasons_against(sides[other.id]) for other in others):
            flagged.add(application.id)
    return flagged
