"""Possible duplicates of a VIP applicant among the people already registered (core's matching rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.toolkit import N_, MatchProfile, Person, Vault, current_tenant, match_candidates, parse_candidate_national_id
from plugins.vip.models import Application


@dataclass(frozen=True)
class PossibleDuplicate:
    """Someone already registered who may be the applicant, why, and their VIP applications."""

    person: Person
    reasons: tuple[str, ...]
    applications: tuple[Application, ...] = ()


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


def _profile(person: Person, applications: Iterable[Application] = ()) -> MatchProfile:
    """The person as compared: reached also through the contacts of their applications."""
    applications = list(applications)
    return MatchProfile.of(person, emails=[a.contact_email for a in applications],
                           phones=[a.contact_phone for a in applications])


def possible_duplicates(session: Session, vault: Vault, application_or_candidate: Application | dict[str, Any], *,
                        country: str | None = None) -> list[PossibleDuplicate]:
    """People of the current tenant who may be the applicant: the same national ID (through
    the blind index), or the same name with the same phone or email (the applicant's own or
    their contact's) or birth year (:mod:`core.people.matching`). Shown to staff, who decide;
    nothing is merged here.

    ``application_or_candidate`` is a saved application or validated form data not yet saved
    (its national ID is parsed once, here, for ``country``: default the tenant's).
    """
    if isinstance(application_or_candidate, Application):
        person = application_or_candidate.person
        target = _profile(person, _applications_of(session, [person.id])[person.id])
        exclude_id = person.id
    else:
        candidate = dict(application_or_candidate)
        national_id = parse_candidate_national_id(candidate, country or current_tenant(session).country)
        target = MatchProfile.of_candidate(vault, candidate, national_id=national_id,
                                           emails=[candidate.get("contact_email")],
                                           phones=[candidate.get("contact_phone")])
        exclude_id = None
    found = match_candidates(session, [target], exclude_id=exclude_id)
    apps = _applications_of(session, (p.id for p in found))
    result = []
    for other in found:
        reasons = target.reasons_against(_profile(other, apps[other.id]))
        if reasons:
            result.append(PossibleDuplicate(other, reasons, tuple(apps[other.id])))
    return sorted(result, key=lambda d: (d.person.last_name.lower(), d.person.first_name.lower(), d.person.id))


def duplicate_flags(session: Session, applications: Iterable[Application]) -> set[int]:
    """Ids of ``applications`` whose applicant may be registered twice (the rules of
    :func:`possible_duplicates`), in two queries whatever the number of applications."""
    applications = list(applications)
    people_by_id = {a.person.id: a.person for a in applications}
    others = match_candidates(session, [MatchProfile.of(p) for p in people_by_id.values()], limit=None)
    if not others:
        return set()
    apps = _applications_of(session, [*people_by_id, *(p.id for p in others)])
    profiles = {p.id: _profile(p, apps.get(p.id, ())) for p in [*people_by_id.values(), *others]}
    flagged = set()
    for application in applications:
        own = profiles[application.person.id]
        if any(other.id != application.person.id and own.reasons_against(profiles[other.id]) for other in others):
            flagged.add(application.id)
    return flagged
